-- +goose Up
-- The new-device alert asks whether a user's device name was active from a
-- network lately. Revoked sessions count (signing out does not make a device
-- new), so the partial listing index cannot serve it.
CREATE INDEX device_sessions_device_idx ON device_sessions (user_id, device_name, last_active_at);

-- +goose Down
DROP INDEX device_sessions_device_idx;
