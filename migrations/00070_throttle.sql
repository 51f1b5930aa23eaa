-- +goose Up
-- An account's current run of attempts at its credentials: the growing delay
-- and the lock. A row exists while a run does; a success deletes it.
CREATE TABLE account_lockouts (
    user_id         uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- Attempts of the run that were not right (claimed before the check,
    -- taken back when right).
    failures        integer NOT NULL DEFAULT 0,
    last_attempt_at timestamptz,
    last_failure_at timestamptz,
    locked_until    timestamptz
);

-- Requests per client network and route in fixed windows, for the per-IP
-- limits. Unlogged: the counters are worth no WAL, and losing them in a crash
-- only opens every window afresh.
CREATE UNLOGGED TABLE rate_limits (
    key          text NOT NULL,
    window_start timestamptz NOT NULL,
    count        integer NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_limits_window_start_idx ON rate_limits (window_start);

-- +goose Down
DROP TABLE rate_limits;
DROP TABLE account_lockouts;
