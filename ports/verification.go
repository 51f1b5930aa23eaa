package ports

import (
	"context"
	"net/netip"
	"time"

	"github.com/google/uuid"
)

// VerificationPurpose is what an emailed token is for. A token serves its own
// purpose only: a verification token cannot reset a password.
type VerificationPurpose string

// The purposes of emailed tokens.
const (
	PurposeVerifyEmail   VerificationPurpose = "verify_email"
	PurposePasswordReset VerificationPurpose = "password_reset"
	PurposeEmailChange   VerificationPurpose = "email_change"
)

// Verification is a token sent by email (an email_verifications row).
type Verification struct {
	ID     uuid.UUID
	UserID uuid.UUID
	// TokenHash is the SHA-256 of the token. It is nil for an email change
	// whose token the worker has not minted yet.
	TokenHash []byte
	// Email is the address the token was sent to and the only one it vouches
	// for: for an email change, the new address.
	Email     string
	Purpose   VerificationPurpose
	ExpiresAt time.Time
	UsedAt    *time.Time
	CreatedAt time.Time
}

// VerificationStore keeps emailed tokens.
type VerificationStore interface {
	// ReplaceVerification inserts v and deletes the user's other unused
	// verifications of v's purpose: a new token voids the older ones.
	ReplaceVerification(ctx context.Context, v Verification) error
	// ConsumeVerification marks used at now the verification whose token hash
	// is hash, provided it is unused, expires after now and has one of
	// purposes, and returns it. Any other hash is auth.ErrNotFound. Of two
	// concurrent calls with one hash, exactly one succeeds (unless the winner's
	// transaction rolls back).
	ConsumeVerification(ctx context.Context, hash []byte, now time.Time, purposes ...VerificationPurpose) (Verification, error)
	// FindUsableVerification returns what ConsumeVerification would consume,
	// without consuming it; auth.ErrNotFound likewise.
	FindUsableVerification(ctx context.Context, hash []byte, now time.Time, purposes ...VerificationPurpose) (Verification, error)
	// FindPendingVerification returns the user's newest unused verification of
	// purpose that expires after now, minted or not; auth.ErrNotFound when
	// there is none.
	FindPendingVerification(ctx context.Context, userID uuid.UUID, purpose VerificationPurpose, now time.Time) (Verification, error)
	// DeleteStaleVerifications deletes the used verifications and those that
	// expired before expiredBefore, and reports how many it deleted.
	DeleteStaleVerifications(ctx context.Context, expiredBefore time.Time) (int, error)
}

// EmailRequest is one request for a token email (a resend, a password reset,
// an email change), recorded to rate-limit them.
type EmailRequest struct {
	// UserID is the account the request sent an email to; uuid.Nil when it
	// sent none (a password reset for an unknown address, or one dropped by
	// the account's limit).
	UserID    uuid.UUID
	Purpose   VerificationPurpose
	IP        netip.Addr // the zero Addr when unknown
	CreatedAt time.Time
}

// EmailRequestLog keeps recent email requests, so that limits hold across API
// processes.
type EmailRequestLog interface {
	RecordEmailRequest(ctx context.Context, r EmailRequest) error
	// EmailRequestTimesByUser returns when the user made purpose requests at or
	// after since, newest first. Inside a transaction it also makes concurrent
	// callers for the same user and purpose wait until that transaction ends,
	// so that a count and the record that follows it cannot interleave.
	EmailRequestTimesByUser(ctx context.Context, userID uuid.UUID, purpose VerificationPurpose, since time.Time) ([]time.Time, error)
	// EmailRequestTimesByIP is EmailRequestTimesByUser for requests from ip.
	EmailRequestTimesByIP(ctx context.Context, ip netip.Addr, purpose VerificationPurpose, since time.Time) ([]time.Time, error)
	// DeleteEmailRequestsBefore deletes requests made before t and reports how
	// many it deleted.
	DeleteEmailRequestsBefore(ctx context.Context, t time.Time) (int, error)
}

// EmailChange is a change of a user's address that happened, kept so that the
// old address can be told without a job carrying it.
type EmailChange struct {
	ID        uuid.UUID
	UserID    uuid.UUID
	OldEmail  string
	NewEmail  string
	ChangedAt time.Time
}

// EmailChangeStore keeps the history of address changes.
type EmailChangeStore interface {
	CreateEmailChange(ctx context.Context, c EmailChange) error
	// FindEmailChange returns auth.ErrNotFound when there is no such change.
	FindEmailChange(ctx context.Context, id uuid.UUID) (EmailChange, error)
}

// AccountPolicy is the rules for addresses and passwords. The accounts
// capability owns them; verification applies them when an address or a
// password changes.
type AccountPolicy interface {
	// NormalizeEmail trims an address and checks its shape; it returns
	// auth.ErrInvalidEmail for a malformed one.
	NormalizeEmail(raw string) (string, error)
	// HashNewPassword checks password against the policy for an account with
	// address email (auth.ErrWeakPassword) and hashes it.
	HashNewPassword(password, email string) (string, error)
}
