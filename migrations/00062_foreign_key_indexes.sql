-- +goose Up
-- Every foreign key gets an index on its referencing column: deleting a user
-- (or a session, or a provider) cascades through them, and without one each
-- cascade scans the whole table. The partial indexes some of these tables
-- have cannot serve that lookup.
CREATE INDEX email_verifications_user_id_idx ON email_verifications (user_id);
CREATE INDEX email_requests_user_id_idx ON email_requests (user_id);
CREATE INDEX saml_requests_user_id_idx ON saml_requests (user_id);
CREATE INDEX saml_requests_session_id_idx ON saml_requests (session_id);
CREATE INDEX saml_requests_provider_id_idx ON saml_requests (provider_id);

-- +goose Down
DROP INDEX saml_requests_provider_id_idx;
DROP INDEX saml_requests_session_id_idx;
DROP INDEX saml_requests_user_id_idx;
DROP INDEX email_requests_user_id_idx;
DROP INDEX email_verifications_user_id_idx;
