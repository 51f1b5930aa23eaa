-- +goose Up
CREATE TABLE users (
    id             uuid PRIMARY KEY,
    email          text NOT NULL CHECK (email <> ''),
    -- NULL for accounts that sign in only through single sign-on.
    password_hash  text,
    email_verified boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
-- Addresses are kept as typed and compared case-insensitively.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE device_sessions (
    id                 uuid PRIMARY KEY,
    user_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the session token; the token itself is never stored.
    token_hash         bytea NOT NULL,
    ip                 inet,
    -- Raw, for debugging and re-parsing; device_name is for people.
    user_agent         text NOT NULL DEFAULT '',
    device_name        text NOT NULL,
    browser            text NOT NULL DEFAULT '',
    os                 text NOT NULL DEFAULT '',
    device_type        text NOT NULL DEFAULT 'unknown',
    auth_method        text NOT NULL,
    amr                text[] NOT NULL DEFAULT '{}',
    created_at         timestamptz NOT NULL,
    last_active_at     timestamptz NOT NULL,
    expires_at         timestamptz NOT NULL,
    reauthenticated_at timestamptz NOT NULL,
    revoked_at         timestamptz,
    CONSTRAINT device_sessions_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX device_sessions_user_id_idx ON device_sessions (user_id, last_active_at DESC)
    WHERE revoked_at IS NULL;

-- +goose Down
DROP TABLE device_sessions;
DROP TABLE users;
