package mfa

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// Deps are the ports the service uses.
type Deps struct {
	Store    ports.MFAStore
	Users    ports.UserStore
	Sessions ports.SessionStarter
	TOTP     ports.TOTP
	Tx       ports.TxRunner
	Clock    ports.Clock
	Random   ports.Random
	// Activity records TOTP turned on and off and wrong login codes
	// (*activity.Service). Optional: nil records nothing.
	Activity ports.ActivityRecorder
	// Lockout counts wrong login codes toward the account's lockout and
	// refuses codes while it is locked (*throttle.Service). Optional: nil
	// leaves only the per-token bound.
	Lockout ports.AccountLockout
}

// Config holds the instance key and the login challenge's bounds.
type Config struct {
	// EncryptionKey is the 32-byte AES-256 key TOTP secrets are sealed with.
	EncryptionKey []byte
	// ChallengeTTL is how long an mfa_token lives; 5 minutes when zero.
	ChallengeTTL time.Duration
	// MaxAttempts is how many codes one mfa_token may try; 5 when zero.
	MaxAttempts int
}

// The ports other capabilities consume, satisfied here and wired in cmd.
var (
	_ ports.SecondFactor         = (*Service)(nil)
	_ ports.SecondFactorVerifier = (*Service)(nil)
)

// Service is the second-factor capability.
type Service struct {
	d    Deps
	cfg  Config
	aead cipher.AEAD
}

// New returns a Service; it panics on missing dependencies or a key that is
// not 32 bytes, so bad wiring fails at start.
func New(d Deps, cfg Config) *Service {
	if d.Store == nil || d.Users == nil || d.Sessions == nil || d.TOTP == nil || d.Tx == nil ||
		d.Clock == nil || d.Random == nil {
		panic("mfa: nil dependency")
	}
	if len(cfg.EncryptionKey) != 32 {
		panic(fmt.Sprintf("mfa: encryption key is %d bytes, want 32", len(cfg.EncryptionKey)))
	}
	block, err := aes.NewCipher(cfg.EncryptionKey)
	if err != nil {
		panic(fmt.Sprintf("mfa: %v", err))
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(fmt.Sprintf("mfa: %v", err))
	}
	if cfg.ChallengeTTL <= 0 {
		cfg.ChallengeTTL = 5 * time.Minute
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	return &Service{d: d, cfg: cfg, aead: aead}
}

// ErrLoginCode is a wrong code at the second step of a login: invalid_code,
// but unauthenticated (401) there, where the same code is a 400 elsewhere.
var ErrLoginCode = &auth.Error{Kind: auth.KindUnauthenticated, Code: auth.ErrInvalidCode.Code,
	Message: "The code is not valid."}

func (s *Service) random(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.d.Random, b); err != nil {
		return nil, fmt.Errorf("mfa: random: %w", err)
	}
	return b, nil
}

// now is the clock's time at PostgreSQL's precision, so what is stored reads
// back equal.
func (s *Service) now() time.Time { return s.d.Clock.Now().UTC().Truncate(time.Microsecond) }

// record writes a security event in the transaction of ctx, when the
// service records any.
func (s *Service) record(ctx context.Context, userID uuid.UUID, kind ports.EventKind, detail map[string]string) error {
	if s.d.Activity == nil {
		return nil
	}
	return s.d.Activity.Record(ctx, userID, kind, detail)
}
