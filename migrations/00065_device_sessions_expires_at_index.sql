-- +goose Up
-- The hourly prune finds sessions that expired long ago by their expiry.
CREATE INDEX device_sessions_expires_at_idx ON device_sessions (expires_at);

-- +goose Down
DROP INDEX device_sessions_expires_at_idx;
