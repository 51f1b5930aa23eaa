package ports

import "context"

// SessionMetrics counts sessions as they start and end, for monitoring. Like
// ActivityRecorder it joins the transaction of ctx: what it is told is
// counted once that transaction commits, and not at all when it rolls back,
// so the counts are of what happened, not of what was tried.
// Implementations are safe for concurrent use and never fail: monitoring
// never stops a sign-in.
type SessionMetrics interface {
	// SessionStarted counts a new session whose user authenticated with
	// amr (auth.MethodPassword, auth.MethodOTP, auth.MethodSAML).
	SessionStarted(ctx context.Context, amr []string)
	// SessionsRevoked counts n sessions ended for reason.
	SessionsRevoked(ctx context.Context, reason RevokeReason, n int)
}

// RevokeReason says why sessions ended. The set is closed, so a metric
// labelled with it stays small.
type RevokeReason string

// Why sessions end.
const (
	RevokedLogout         RevokeReason = "logout"          // a session signed itself out
	RevokedByUser         RevokeReason = "user"            // its user ended it from the device list
	RevokedOthers         RevokeReason = "others"          // its user signed out everywhere else
	RevokedReplaced       RevokeReason = "replaced"        // a sign-in from the same browser replaced it
	RevokedPasswordReset  RevokeReason = "password_reset"  // a password reset ended every session
	RevokedPasswordChange RevokeReason = "password_change" // a password change ended every other session
	RevokedDeletion       RevokeReason = "deletion"        // an account deletion request ended the others
	RevokedAll            RevokeReason = "all"             // every session, for a reason not listed above
)
