package ports

import (
	"context"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
)

// DeletionRequest is a user's request to have their account deleted (a
// deletion_requests row). A user has at most one: a new request after a
// cancelled one reuses it, so every job ever scheduled for the user's
// deletion names the same ID.
type DeletionRequest struct {
	ID          uuid.UUID
	UserID      uuid.UUID
	RequestedAt time.Time
	ExecuteAt   time.Time
	Cancelled   bool
	CancelledAt *time.Time
	// JobID is the hard-delete job scheduled at ExecuteAt. Only that job may
	// execute the request: one left over from before a cancellation finds
	// another ID here and does nothing.
	JobID int64
}

// DeletionNotice is the address an "account deleted" email goes to, kept
// apart from the account: the delete writes it in its transaction, the email
// job names it, and the job removes it once sent. It references nothing, so
// after the email nothing of the user remains.
type DeletionNotice struct {
	ID        uuid.UUID
	Email     string
	CreatedAt time.Time
}

// DeletionStore keeps deletion requests and performs the hard delete.
type DeletionStore interface {
	// FindDeletionRequestByUser returns the user's request, pending or
	// cancelled; auth.ErrNotFound when there is none. Inside a transaction
	// it locks the row until the transaction ends.
	FindDeletionRequestByUser(ctx context.Context, userID uuid.UUID) (DeletionRequest, error)
	// FindDeletionRequest returns the request with this ID and locks it
	// likewise; auth.ErrNotFound when there is none.
	FindDeletionRequest(ctx context.Context, id uuid.UUID) (DeletionRequest, error)
	// SaveDeletionRequest stores r, which must not be cancelled, as the
	// user's pending request: it inserts it, or overwrites the user's
	// cancelled request (whose ID r must carry). auth.ErrDeletionPending when
	// the user has a pending request, even one inserted concurrently.
	SaveDeletionRequest(ctx context.Context, r DeletionRequest) error
	// CancelDeletionRequest marks the user's pending request cancelled at at
	// and returns it; auth.ErrNotFound when none is pending.
	CancelDeletionRequest(ctx context.Context, userID uuid.UUID, at time.Time) (DeletionRequest, error)
	// DeleteUserData deletes the user and every row about them in every
	// table (their deletion request included), and every queued or finished
	// job whose args name the user or their deletion request, except the job
	// keepJobID (the one running the delete, which its queue finishes). It
	// returns the address the user had; auth.ErrNotFound when there is no
	// such user.
	DeleteUserData(ctx context.Context, userID uuid.UUID, keepJobID int64) (email string, err error)
	// CreateDeletionNotice stores n.
	CreateDeletionNotice(ctx context.Context, n DeletionNotice) error
	// FindDeletionNotice returns auth.ErrNotFound when there is no such notice.
	FindDeletionNotice(ctx context.Context, id uuid.UUID) (DeletionNotice, error)
	// DeleteDeletionNotice removes the notice; removing none is not an error.
	DeleteDeletionNotice(ctx context.Context, id uuid.UUID) error
}

// LinkedIdentity is a SAML identity with the domain of its provider, as an
// export shows it.
type LinkedIdentity struct {
	auth.Identity
	ProviderDomain string
}

// UserData is everything stored about a user, as the data export shows it.
// It holds no token hash and no TOTP secret; User keeps its password hash,
// which tells has_password and which an export must not show.
type UserData struct {
	// ExportedAt is when the data was read; the store leaves it to the core.
	ExportedAt time.Time
	User       auth.User
	// Sessions are every session, revoked and expired ones included, newest
	// first, without their token hashes.
	Sessions []auth.Session
	// Events are every security event, newest first.
	Events     []SecurityEvent
	Identities []LinkedIdentity
	// TOTPEnabledAt is when TOTP was turned on; nil when it is off.
	TOTPEnabledAt     *time.Time
	RecoveryCodesLeft int
	// EmailChanges are the account's address changes, newest first.
	EmailChanges []EmailChange
	// EmailRequests are the token emails the account asked for (kept a few
	// days, for rate limits), newest first.
	EmailRequests []EmailRequest
	// Deletion is the account's deletion request, pending or cancelled; nil
	// when there is none.
	Deletion *DeletionRequest
}

// UserDataStore reads everything stored about a user.
type UserDataStore interface {
	// ExportUserData returns auth.ErrNotFound when there is no such user.
	// Its reads see one snapshot of the database.
	ExportUserData(ctx context.Context, userID uuid.UUID) (UserData, error)
}

// HardDeleteJob asks for a deletion request to be executed. It names the
// request, not the user, and is scheduled at the request's execute_at.
type HardDeleteJob struct {
	RequestID uuid.UUID `json:"deletion_request_id"`
}

// Kind implements Job.
func (HardDeleteJob) Kind() string { return "hard_delete_account" }

// AccountDeletedEmailJob asks for the "your account was deleted" email to go
// to the address a DeletionNotice keeps: once the account is gone no user ID
// resolves an address, and args never carry one.
type AccountDeletedEmailJob struct {
	NoticeID uuid.UUID `json:"deletion_notice_id"`
}

// Kind implements Job.
func (AccountDeletedEmailJob) Kind() string { return "send_account_deleted_email" }

// JobCanceller cancels a job in the transaction of ctx: a scheduled job will
// not run, a running one is asked to stop. Cancelling a job that is gone or
// already finished is not an error.
type JobCanceller interface {
	CancelJob(ctx context.Context, jobID int64) error
}
