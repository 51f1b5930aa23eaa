-- +goose Up
-- A customer's identity provider, serving one email domain.
CREATE TABLE saml_providers (
    id                  uuid PRIMARY KEY,
    -- Lowercase, no scheme: the part after the @ of the users it serves.
    domain              text NOT NULL CHECK (domain <> '' AND domain = lower(domain)),
    entity_id           text NOT NULL CHECK (entity_id <> ''),
    -- The IdP's HTTP-Redirect SingleSignOnService location.
    sso_login_url       text NOT NULL,
    -- The original design's `certificate`, plural: every signing certificate
    -- in PEM, more than one while the IdP rolls its key over.
    certificates        text[] NOT NULL CHECK (cardinality(certificates) > 0),
    enforce_sso         boolean NOT NULL DEFAULT false,
    allow_idp_initiated boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    CONSTRAINT saml_providers_domain_key UNIQUE (domain)
);
-- The ACS finds the provider by the Issuer of a response. Not unique: one
-- IdP tenant may serve several domains under one entity ID.
CREATE INDEX saml_providers_entity_id_idx ON saml_providers (entity_id);

-- A user's NameID at a provider.
CREATE TABLE saml_identities (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider_id   uuid NOT NULL REFERENCES saml_providers (id) ON DELETE CASCADE,
    name_id       text NOT NULL CHECK (name_id <> ''),
    created_at    timestamptz NOT NULL,
    last_login_at timestamptz NOT NULL,
    CONSTRAINT saml_identities_provider_id_name_id_key UNIQUE (provider_id, name_id)
);
CREATE INDEX saml_identities_user_id_idx ON saml_identities (user_id);

-- SP-initiated AuthnRequests awaiting their response, for a few minutes.
CREATE TABLE saml_requests (
    id           uuid PRIMARY KEY,
    -- The AuthnRequest's ID, which the response names in InResponseTo.
    request_id   text NOT NULL,
    provider_id  uuid NOT NULL REFERENCES saml_providers (id) ON DELETE CASCADE,
    -- SHA-256 of the random value in the browser's binding cookie: only the
    -- browser that started the request can finish it.
    binding_hash bytea NOT NULL,
    return_to    text NOT NULL,
    purpose      text NOT NULL CHECK (purpose IN ('login', 'step_up')),
    -- The session a step-up elevates, and its user.
    session_id   uuid REFERENCES device_sessions (id) ON DELETE CASCADE,
    user_id      uuid REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    CHECK ((purpose = 'step_up') = (session_id IS NOT NULL AND user_id IS NOT NULL)),
    CONSTRAINT saml_requests_request_id_key UNIQUE (request_id)
);
CREATE INDEX saml_requests_expires_at_idx ON saml_requests (expires_at);

-- Assertion IDs already accepted, kept until the assertion could no longer
-- be accepted anyway, so none is accepted twice.
CREATE TABLE saml_assertions_seen (
    -- The IdP's entity ID: assertion IDs are unique per issuer.
    issuer       text NOT NULL,
    assertion_id text NOT NULL,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (issuer, assertion_id)
);
CREATE INDEX saml_assertions_seen_expires_at_idx ON saml_assertions_seen (expires_at);

-- +goose Down
DROP TABLE saml_assertions_seen;
DROP TABLE saml_requests;
DROP TABLE saml_identities;
DROP TABLE saml_providers;
