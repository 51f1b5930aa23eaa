-- +goose Up
-- Every API process may keep the per-request session lookup in memory. These
-- triggers tell them, through NOTIFY (delivered at commit, only if it
-- commits), whenever something that lookup returns changes: a session revoked,
-- rotated or re-authenticated, its user changed or gone, a deletion requested
-- or cancelled. last_active_at alone notifies nothing: it changes once a
-- minute per session and the caches keep their own copy fresh enough.

-- +goose StatementBegin
CREATE FUNCTION authd_notify_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('authd_session_invalidation', 's:' || OLD.id::text);
    RETURN NULL;
END;
$$;

CREATE FUNCTION authd_notify_user() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    uid uuid;
BEGIN
    IF TG_TABLE_NAME = 'users' THEN
        uid := COALESCE(OLD.id, NEW.id);
    ELSIF TG_OP = 'DELETE' THEN
        uid := OLD.user_id;
    ELSE
        uid := NEW.user_id;
    END IF;
    PERFORM pg_notify('authd_session_invalidation', 'u:' || uid::text);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER device_sessions_invalidate
    AFTER UPDATE OF token_hash, revoked_at, reauthenticated_at, amr, expires_at OR DELETE ON device_sessions
    FOR EACH ROW EXECUTE FUNCTION authd_notify_session();

CREATE TRIGGER users_invalidate
    AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION authd_notify_user();

CREATE TRIGGER deletion_requests_invalidate
    AFTER INSERT OR UPDATE OR DELETE ON deletion_requests
    FOR EACH ROW EXECUTE FUNCTION authd_notify_user();

-- +goose Down
DROP TRIGGER deletion_requests_invalidate ON deletion_requests;
DROP TRIGGER users_invalidate ON users;
DROP TRIGGER device_sessions_invalidate ON device_sessions;
DROP FUNCTION authd_notify_user();
DROP FUNCTION authd_notify_session();
