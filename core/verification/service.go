package verification

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
	"time"

	"github.com/google/uuid"

	"authd/ports"
)

// Deps are the ports the service uses.
type Deps struct {
	Users         ports.UserStore
	Verifications ports.VerificationStore
	Requests      ports.EmailRequestLog
	Changes       ports.EmailChangeStore
	Tx            ports.TxRunner
	Jobs          ports.Enqueuer
	// Policy checks new addresses and passwords by the accounts rules.
	Policy   ports.AccountPolicy
	Sessions ports.SessionRevoker
	Clock    ports.Clock
	Random   ports.Random
	// Activity records password and address changes (*activity.Service).
	// Optional: nil records nothing.
	Activity ports.ActivityRecorder
	// Lockout is lifted by a password reset, which it never blocks
	// (*throttle.Service). Optional: nil has nothing to lift.
	Lockout ports.AccountLockout
}

// Config is what the service needs to know.
type Config struct {
	// AppURL is the base of the links in emails; never a request's Host.
	AppURL *url.URL
	// VerifyTTL is the lifetime of verification and email-change tokens.
	VerifyTTL time.Duration
	// ResetTTL is the lifetime of password-reset tokens.
	ResetTTL time.Duration
	// ResetPerIP reset requests are allowed per client IP in
	// ResetPerIPWindow: twenty an hour when both are zero, no limit when
	// ResetPerIP is negative.
	ResetPerIP       int
	ResetPerIPWindow time.Duration
}

// Service is the verification capability.
type Service struct {
	d   Deps
	cfg Config
}

// New returns a Service; it panics on missing dependencies or settings.
func New(d Deps, cfg Config) *Service {
	if d.Users == nil || d.Verifications == nil || d.Requests == nil || d.Changes == nil || d.Tx == nil ||
		d.Jobs == nil || d.Policy == nil || d.Sessions == nil || d.Clock == nil || d.Random == nil {
		panic("verification: nil dependency")
	}
	if cfg.AppURL == nil || cfg.VerifyTTL <= 0 || cfg.ResetTTL <= 0 {
		panic("verification: app URL and token lifetimes are required")
	}
	if cfg.ResetPerIP == 0 && cfg.ResetPerIPWindow == 0 {
		cfg.ResetPerIP, cfg.ResetPerIPWindow = resetIPLimit.n, resetIPLimit.window
	}
	if cfg.ResetPerIP > 0 && cfg.ResetPerIPWindow <= 0 {
		panic("verification: the per-IP reset limit needs a window")
	}
	return &Service{d: d, cfg: cfg}
}

const tokenBytes = 32

// tokenLen is the length of a base64url token of tokenBytes.
var tokenLen = base64.RawURLEncoding.EncodedLen(tokenBytes)

// hashToken is the stored form of a token.
func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// parseToken hashes a token a client sent, or reports it malformed, which
// answers like any other invalid token.
func parseToken(token string) ([]byte, bool) {
	if len(token) != tokenLen {
		return nil, false
	}
	if _, err := base64.RawURLEncoding.DecodeString(token); err != nil {
		return nil, false
	}
	return hashToken(token), true
}

func (s *Service) newToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := s.d.Random.Read(b); err != nil {
		return "", fmt.Errorf("verification: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (s *Service) newID() (uuid.UUID, error) {
	id, err := uuid.NewRandomFromReader(s.d.Random)
	if err != nil {
		return uuid.Nil, fmt.Errorf("verification: id: %w", err)
	}
	return id, nil
}

// now is the clock at PostgreSQL's precision, so what is stored is what is
// compared.
func (s *Service) now() time.Time { return s.d.Clock.Now().UTC().Truncate(time.Microsecond) }

// link is an absolute link into the app: path under AppURL with the token.
func (s *Service) link(path, token string) string {
	u := *s.cfg.AppURL
	u.Path = u.Path + path
	u.RawPath = ""
	u.RawQuery = url.Values{"token": {token}}.Encode()
	u.Fragment = ""
	return u.String()
}
