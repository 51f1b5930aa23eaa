package ports

import (
	"context"
	"time"

	"authd/core/auth"
)

// Clock tells the time, so that tests can move it.
type Clock interface {
	Now() time.Time
}

// Random fills p with cryptographically secure random bytes. It never fails
// short: an error means the system's randomness is broken.
type Random interface {
	Read(p []byte) (n int, err error)
}

// PasswordHasher hashes passwords into self-describing (PHC) strings.
type PasswordHasher interface {
	Hash(password string) (string, error)
	// Verify compares in constant time. rehash is true when the hash was made
	// with other parameters than the current ones.
	Verify(password, hash string) (ok, rehash bool, err error)
}

// TxRunner runs fn in a transaction carried by the context it passes to fn.
// A nested call joins the outer transaction. The transaction rolls back when
// fn returns an error and commits otherwise.
type TxRunner interface {
	WithinTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Job is a background job's arguments: River's JobArgs method set, so the core
// builds payloads without importing River. Args carry IDs, never secrets or
// addresses, because the queue keeps them as plain JSON.
type Job interface {
	Kind() string
}

// JobOpts are optional insert options. The zero value runs the job now on its
// kind's default queue.
type JobOpts struct {
	ScheduledAt time.Time
}

// Enqueuer inserts jobs in the transaction of ctx, so a job exists if and only
// if the change that caused it commits. It returns an error when ctx carries no
// transaction, never inserting outside one.
type Enqueuer interface {
	Enqueue(ctx context.Context, job Job, opts JobOpts) (jobID int64, err error)
}

// UAParser turns a User-Agent header into a Device. It never fails: what it
// cannot read is "unknown".
type UAParser interface {
	Parse(userAgent string) auth.Device
}

// EmailKind names an email template.
type EmailKind string

// The emails authd sends. Each has a plain-text and an HTML template in the
// mailer adapter; Vars lists what each template reads.
const (
	EmailVerify            EmailKind = "verify_email"        // link
	EmailPasswordReset     EmailKind = "password_reset"      // link
	EmailChangeVerify      EmailKind = "email_change_verify" // link, new_email
	EmailChangedNotice     EmailKind = "email_changed"       // new_email (sent to the old address)
	EmailNewDevice         EmailKind = "new_device"          // device, ip, when
	EmailAccountLocked     EmailKind = "account_locked"      // until, reset_link
	EmailDeletionScheduled EmailKind = "deletion_scheduled"  // execute_at, cancel_link
	EmailDeletionCancelled EmailKind = "deletion_cancelled"  // (none)
	EmailAccountDeleted    EmailKind = "account_deleted"     // (none)
	EmailSSOLinked         EmailKind = "sso_linked"          // provider
)

// Email is one message to send: a template kind and its variables. Links in
// Vars are absolute, built from the configured app URL.
type Email struct {
	To   string
	Kind EmailKind
	Vars map[string]string
}

// Mailer renders and delivers an email. It is called by job workers, never
// inside a database transaction; an error means "retry later".
type Mailer interface {
	Send(ctx context.Context, e Email) error
}
