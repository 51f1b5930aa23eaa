// Package session issues, authenticates and revokes device sessions.
//
// Invariants: a token is 256 random bits shown once; only its SHA-256 is
// stored. A session is valid until its absolute expiry and while it has been
// active within the idle timeout; revocation is a row update, so the very next
// request sees it. last_active_at is written at most once per touch interval,
// never on every request.
package session
