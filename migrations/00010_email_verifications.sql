-- +goose Up
-- A token sent by email: to verify an address, to reset a password or to
-- confirm a new address. Only the SHA-256 of the token is stored.
CREATE TABLE email_verifications (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- NULL while an email change waits for the worker to mint its token: the
    -- row then only remembers which new address the queued job is about.
    token_hash bytea,
    -- The address the token was sent to and the only one it vouches for (for
    -- an email change, the new address).
    email      text NOT NULL CHECK (email <> ''),
    purpose    text NOT NULL CHECK (purpose IN ('verify_email', 'password_reset', 'email_change')),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL,
    CONSTRAINT email_verifications_token_hash_key UNIQUE (token_hash)
);
-- A new token voids the user's unused ones of the same purpose: at most one
-- is usable at a time.
CREATE UNIQUE INDEX email_verifications_user_purpose_key ON email_verifications (user_id, purpose)
    WHERE used_at IS NULL;
-- The hourly cleanup.
CREATE INDEX email_verifications_expires_at_idx ON email_verifications (expires_at);

-- Every request for a token email (verification resend, password reset,
-- email change), kept for two days to rate-limit them across API processes.
CREATE TABLE email_requests (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The account the request sent an email to; NULL when it sent none (a
    -- password reset for an unknown address, or over the account's limit).
    user_id    uuid REFERENCES users (id) ON DELETE CASCADE,
    purpose    text NOT NULL,
    ip         inet,
    created_at timestamptz NOT NULL
);
CREATE INDEX email_requests_user_idx ON email_requests (user_id, purpose, created_at DESC)
    WHERE user_id IS NOT NULL;
CREATE INDEX email_requests_ip_idx ON email_requests (ip, purpose, created_at DESC)
    WHERE ip IS NOT NULL;
CREATE INDEX email_requests_created_at_idx ON email_requests (created_at);

-- Every change of a user's address: the old address is told about it, and the
-- job that tells it names the row, never the address.
CREATE TABLE email_changes (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    old_email  text NOT NULL,
    new_email  text NOT NULL,
    changed_at timestamptz NOT NULL
);
CREATE INDEX email_changes_user_id_idx ON email_changes (user_id, changed_at DESC);

-- +goose Down
DROP TABLE email_changes;
DROP TABLE email_requests;
DROP TABLE email_verifications;
