-- +goose Up
-- A user's request to have their account deleted after a grace period. One
-- per user: a new request after a cancellation reuses the row, so every job
-- ever scheduled for it names the same ID.
CREATE TABLE deletion_requests (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    requested_at timestamptz NOT NULL,
    execute_at   timestamptz NOT NULL,
    cancelled    boolean NOT NULL DEFAULT false,
    cancelled_at timestamptz,
    -- The River job scheduled at execute_at; only that job may execute the
    -- request. No foreign key: River prunes its finished jobs.
    job_id       bigint NOT NULL,
    CONSTRAINT deletion_requests_user_id_key UNIQUE (user_id),
    CHECK (cancelled = (cancelled_at IS NOT NULL))
);

-- Security activity: sign-ins, sign-outs, revocations, step-ups, credential
-- and address changes, deletion requests. They go with their user.
CREATE TABLE security_events (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind <> ''),
    ip          inet,
    -- Raw, for debugging and re-parsing; device_name is for people.
    user_agent  text NOT NULL DEFAULT '',
    device_name text NOT NULL DEFAULT '',
    detail      jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL
);
-- The activity list reads it backwards from the newest; id orders events of
-- one instant the same way every time.
CREATE INDEX security_events_user_id_created_at_idx ON security_events (user_id, created_at DESC, id DESC);

-- The address an "account deleted" email goes to. The hard delete writes it
-- in its transaction, since afterwards no user ID resolves an address and
-- job args never carry one; the email job names the row and removes it once
-- the email is sent. It references nothing: the account is gone.
CREATE TABLE deletion_notices (
    id         uuid PRIMARY KEY,
    email      text NOT NULL,
    created_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE deletion_notices;
DROP TABLE security_events;
DROP TABLE deletion_requests;
