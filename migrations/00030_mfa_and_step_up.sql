-- +goose Up
-- One TOTP credential per user: pending until its first code confirms it.
CREATE TABLE totp_credentials (
    user_id        uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- AES-256-GCM of the raw secret under the instance key; never plain.
    sealed_secret  bytea NOT NULL,
    confirmed_at   timestamptz,
    -- The latest accepted time step: a code is accepted only for a later one.
    last_used_step bigint NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL
);

-- Single-use recovery codes, stored as SHA-256 (they carry 60 random bits).
CREATE TABLE recovery_codes (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL,
    created_at timestamptz NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- Logins waiting for their second factor. Only the token's SHA-256 is kept.
CREATE TABLE mfa_challenges (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL,
    attempts   integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    CONSTRAINT mfa_challenges_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX mfa_challenges_user_id_idx ON mfa_challenges (user_id);

-- Step-up attempts per session in a fixed window opened by the first one;
-- user_id lets account-wide lockout count them too.
CREATE TABLE step_up_attempts (
    session_id   uuid PRIMARY KEY REFERENCES device_sessions (id) ON DELETE CASCADE,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    window_start timestamptz NOT NULL,
    attempts     integer NOT NULL
);
CREATE INDEX step_up_attempts_user_id_idx ON step_up_attempts (user_id);

-- Secrets the instance generates for itself when none is configured (the
-- development encryption key).
CREATE TABLE instance_secrets (
    name       text PRIMARY KEY,
    value      bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE instance_secrets;
DROP TABLE step_up_attempts;
DROP TABLE mfa_challenges;
DROP TABLE recovery_codes;
DROP TABLE totp_credentials;
