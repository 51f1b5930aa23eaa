package ports

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// TOTP computes RFC 6238 codes: SHA-1, six digits, 30-second steps, the
// parameters every authenticator app understands.
type TOTP interface {
	// Key describes secret for an authenticator app: its base32 form, to type
	// in, and the otpauth:// URL, to scan, naming accountName at the issuer.
	Key(secret []byte, accountName string) (encoded, url string, err error)
	// Match returns the time step, within one step either side of now, whose
	// code is code; ok is false for a wrong or malformed code. It compares in
	// constant time.
	Match(secret []byte, code string, now time.Time) (step int64, ok bool)
}

// TOTPCredential is a user's TOTP secret, sealed with the instance key.
type TOTPCredential struct {
	UserID uuid.UUID
	// SealedSecret is the AES-GCM ciphertext of the raw secret; the store
	// never sees the secret itself.
	SealedSecret []byte
	// ConfirmedAt is nil while the enrollment waits for its first code.
	ConfirmedAt *time.Time
	// LastUsedStep is the latest time step accepted; a code is accepted only
	// for a later step, so none is accepted twice.
	LastUsedStep int64
	CreatedAt    time.Time
}

// MFAChallenge is a login halfway done: the password was right and a second
// factor is due. Only the SHA-256 of its token is stored.
type MFAChallenge struct {
	ID        uuid.UUID
	UserID    uuid.UUID
	TokenHash []byte
	Attempts  int
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// MFAStore keeps TOTP credentials, recovery codes and login challenges.
// Every consuming method is a conditional write, so a code or a token is
// used once even when two requests race.
type MFAStore interface {
	// PutTOTPCredential stores a pending credential, replacing a pending one;
	// auth.ErrAlreadyEnrolled when the user has a confirmed one.
	PutTOTPCredential(ctx context.Context, c TOTPCredential) error
	// FindTOTPCredential returns auth.ErrNotFound when the user has none.
	FindTOTPCredential(ctx context.Context, userID uuid.UUID) (TOTPCredential, error)
	// ConfirmTOTPCredential turns a pending credential on with step as its
	// last used step; auth.ErrNotFound when there is no pending one.
	ConfirmTOTPCredential(ctx context.Context, userID uuid.UUID, step int64, at time.Time) error
	// UseTOTPStep records step as used; auth.ErrNotFound unless the user has
	// a confirmed credential whose last used step is earlier (a replay).
	UseTOTPStep(ctx context.Context, userID uuid.UUID, step int64) error
	// DeleteTOTPCredential removes the credential and every recovery code of
	// the user; deleting nothing is not an error.
	DeleteTOTPCredential(ctx context.Context, userID uuid.UUID) error

	// ReplaceRecoveryCodes drops the user's recovery codes and stores these
	// hashes instead.
	ReplaceRecoveryCodes(ctx context.Context, userID uuid.UUID, hashes [][]byte, at time.Time) error
	// UseRecoveryCode marks the code with this hash used; auth.ErrNotFound
	// when the user has no such unused code.
	UseRecoveryCode(ctx context.Context, userID uuid.UUID, hash []byte, at time.Time) error
	// CountRecoveryCodes counts the user's unused recovery codes.
	CountRecoveryCodes(ctx context.Context, userID uuid.UUID) (int, error)

	// CreateMFAChallenge stores a new login challenge.
	CreateMFAChallenge(ctx context.Context, c MFAChallenge) error
	// ClaimMFAChallengeAttempt counts one attempt at the live challenge with
	// this token hash and returns it: one that is unused, unexpired at now and
	// has had fewer than maxAttempts. auth.ErrNotFound otherwise. Claiming
	// before checking the code bounds guesses even under concurrency.
	ClaimMFAChallengeAttempt(ctx context.Context, tokenHash []byte, now time.Time, maxAttempts int) (MFAChallenge, error)
	// ConsumeMFAChallenge marks the challenge used; auth.ErrNotFound when it
	// already was.
	ConsumeMFAChallenge(ctx context.Context, id uuid.UUID, at time.Time) error
	// DeleteMFAChallengesBefore deletes the challenges that expired before
	// before, used or not, and reports how many it deleted.
	DeleteMFAChallengesBefore(ctx context.Context, before time.Time) (int, error)
}

// StepUpAttemptStore counts step-up attempts per session in a fixed window
// that opens at the first attempt.
type StepUpAttemptStore interface {
	// ClaimStepUpAttempt counts one attempt for the session, unless max were
	// already counted in the window that opened after now-window. When it
	// refuses, windowStart tells when the current window opened.
	ClaimStepUpAttempt(ctx context.Context, sessionID, userID uuid.UUID, now time.Time, window time.Duration,
		max int) (claimed bool, windowStart time.Time, err error)
	// ClearStepUpAttempts forgets the session's attempts (after a success).
	ClearStepUpAttempts(ctx context.Context, sessionID uuid.UUID) error
}

// SecondFactor is what login asks once the password is right.
// *mfa.Service satisfies it.
type SecondFactor interface {
	// Challenge returns a single-use mfa_token bound to the user when they
	// have a second factor on, and required false (no token) when not.
	Challenge(ctx context.Context, userID uuid.UUID) (mfaToken string, required bool, err error)
}

// SecondFactorVerifier checks second-factor codes outside login (step-up).
// *mfa.Service satisfies it.
type SecondFactorVerifier interface {
	// TOTPEnabled reports whether the user has a confirmed TOTP credential.
	TOTPEnabled(ctx context.Context, userID uuid.UUID) (bool, error)
	// UseTOTP accepts a current, never used TOTP code and records its step;
	// auth.ErrInvalidCode otherwise.
	UseTOTP(ctx context.Context, userID uuid.UUID, code string) error
	// UseRecoveryCode consumes an unused recovery code; auth.ErrInvalidCode
	// otherwise.
	UseRecoveryCode(ctx context.Context, userID uuid.UUID, code string) error
}

// SSOIdentities tells whether a user signs in through a SAML provider, so
// that step-up can offer re-authentication there.
type SSOIdentities interface {
	HasSAMLIdentity(ctx context.Context, userID uuid.UUID) (bool, error)
}
