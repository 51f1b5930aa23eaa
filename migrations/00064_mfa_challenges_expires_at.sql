-- +goose Up
-- The hourly cleanup deletes expired login challenges by their expiry.
CREATE INDEX mfa_challenges_expires_at_idx ON mfa_challenges (expires_at);

-- +goose Down
DROP INDEX mfa_challenges_expires_at_idx;
