// Package stepup is re-authentication before sensitive actions.
//
// Invariants: a session is recent from its login or latest step-up until
// MaxAge later, exclusive. A step-up proves the user again (password, TOTP
// code or recovery code) and elevates only the session it was made on: that
// session's reauthenticated_at moves to now, the method joins its amr and its
// token is rotated, so a token copied earlier never carries the elevation.
// Attempts are counted per session before the proof is checked, at most
// MaxAttempts in a window that opens with the first one; a success clears
// them. A refusal names the methods this user can use. With a lockout, a
// proof is also an attempt at the account: a wrong one counts toward the
// lockout a login sees, a right one ends the run, and a locked account
// refuses step-ups too.
package stepup
