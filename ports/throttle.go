package ports

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// AccountFailures is an account's current run of attempts at its credentials
// (an account_lockouts row): what the growing delay and the lock are judged
// on.
type AccountFailures struct {
	UserID uuid.UUID
	// Failures counts the run's attempts that were not right. An attempt is
	// counted when it is claimed, before it is checked, and taken back when
	// it turns out right; so it also counts attempts still being checked.
	Failures int
	// LastAttemptAt is when the latest attempt was claimed, LastFailureAt
	// when the latest wrong one was told; the zero time when there is none.
	LastAttemptAt time.Time
	LastFailureAt time.Time
	// LockedUntil is when the lock set at the threshold ends; nil when the
	// run has not been locked.
	LockedUntil *time.Time
}

// ThrottleStore keeps the brute-force counters in the database, so that they
// hold across API processes.
type ThrottleStore interface {
	// LockAccountFailures returns the user's run, locked until the
	// transaction of ctx ends, so that concurrent attempts on one account take
	// turns; a run without failures when there is none. It returns an error
	// outside a transaction, and auth.ErrNotFound when the user does not
	// exist.
	LockAccountFailures(ctx context.Context, userID uuid.UUID) (AccountFailures, error)
	// PutAccountFailures stores f as the user's run.
	PutAccountFailures(ctx context.Context, f AccountFailures) error
	// FindAccountFailures reads the user's run without locking it; a run
	// without failures when there is none.
	FindAccountFailures(ctx context.Context, userID uuid.UUID) (AccountFailures, error)
	// DeleteAccountFailures forgets the user's run; forgetting none is not an
	// error.
	DeleteAccountFailures(ctx context.Context, userID uuid.UUID) error
	// DeleteAccountFailuresBefore deletes the runs whose latest attempt,
	// latest failure and lock end are all before t, and reports how many.
	DeleteAccountFailuresBefore(ctx context.Context, t time.Time) (int, error)

	// CountRequest counts one request under key in the fixed window that
	// opened at windowStart and returns the window's count, this request
	// included. Concurrent counts are never lost.
	CountRequest(ctx context.Context, key string, windowStart time.Time) (int, error)
	// DeleteRequestCountsBefore deletes the windows that opened before t, and
	// reports how many.
	DeleteRequestCountsBefore(ctx context.Context, t time.Time) (int, error)
}

// AccountLockout guards the checks of an account's credentials (password,
// second-factor codes, step-up proofs) against guessing: a growing delay
// after a few failures, then a lock. *throttle.Service satisfies it; login,
// the second factor and step-up consume it, and a password reset lifts it.
type AccountLockout interface {
	// Attempt claims one attempt at the user's credentials before they are
	// checked, and commits the claim: call it outside a transaction, so that
	// concurrent guesses each take one and none slips past the bound. While
	// the account is locked or waiting out its delay it claims nothing and
	// returns a rate-limited auth.Error carrying RetryAfter, the same whatever
	// the guess, since nothing was checked. auth.ErrNotFound when the user
	// does not exist.
	Attempt(ctx context.Context, userID uuid.UUID) error
	// Fail says that the claimed attempt was wrong. At the threshold it locks
	// the account and queues the owner's account_locked email in the same
	// transaction, once per lock.
	Fail(ctx context.Context, userID uuid.UUID) error
	// Release takes the claimed attempt back without forgiving earlier
	// failures: the password was right but a second factor is still due, or
	// the attempt ended undecided.
	Release(ctx context.Context, userID uuid.UUID) error
	// Reset forgets every failure and lifts any lock: a sign-in or a step-up
	// succeeded, or the password was reset. It joins the transaction of ctx.
	Reset(ctx context.Context, userID uuid.UUID) error
}
