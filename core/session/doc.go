// Package session issues, authenticates, lists, elevates and revokes device
// sessions.
//
// Invariants: a token is 256 random bits shown once; only its SHA-256 is
// stored. A session is valid until its absolute expiry and while it has been
// active within the idle timeout; revocation is a row update and every
// request reads the row, so the very next request on any API process sees
// it. last_active_at is written at most once per touch interval, never on
// every request. A token changes whenever the authentication behind it does:
// a sign-in starts a new session (revoking the one the request carried, see
// Replacing) and a step-up rotates the token in place (Elevate). A session,
// the revocation it replaces and its new-device alert job commit together,
// and so does the security event of every sign-in, sign-out, revocation and
// step-up (when a recorder is wired). Sessions started and revoked are
// reported to ports.SessionMetrics in the same transaction, so a count is
// taken only when what it counts commits; revocations are counted by reason,
// which another capability's revocations get from the view RevokerFor gives
// it.
package session
