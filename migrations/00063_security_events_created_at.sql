-- +goose Up
-- The retention job deletes events by age, whoever they are about.
CREATE INDEX security_events_created_at_idx ON security_events (created_at);

-- +goose Down
DROP INDEX security_events_created_at_idx;
