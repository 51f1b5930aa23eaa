package stepup

import (
	"context"
	"fmt"
	"time"

	"authd/core/auth"
	"authd/ports"
)

// Deps are the ports the service uses.
type Deps struct {
	Hasher   ports.PasswordHasher
	Codes    ports.SecondFactorVerifier // *mfa.Service
	Elevator ports.SessionElevator      // *session.Service
	Attempts ports.StepUpAttemptStore
	Tx       ports.TxRunner
	Clock    ports.Clock
	// SSO tells who can re-authenticate at a SAML provider. It is optional:
	// nil (until SAML sign-in lands) never offers saml.
	SSO ports.SSOIdentities
	// Activity records failed step-ups (*activity.Service); the session's
	// Elevate records successful ones. Optional: nil records nothing.
	Activity ports.ActivityRecorder
	// Lockout counts wrong proofs toward the account's lockout and refuses
	// step-ups while it is locked (*throttle.Service). Optional: nil leaves
	// only the per-session bound.
	Lockout ports.AccountLockout
}

// Config bounds the window and the attempts.
type Config struct {
	// MaxAge is how long after an authentication a session stays recent.
	MaxAge time.Duration
	// MaxAttempts per session within AttemptWindow; 5 when zero.
	MaxAttempts int
	// AttemptWindow opens with a session's first attempt; 15 minutes when zero.
	AttemptWindow time.Duration
}

// Service is the step-up capability.
type Service struct {
	d   Deps
	cfg Config
}

// New returns a Service; it panics on missing dependencies.
func New(d Deps, cfg Config) *Service {
	if d.Hasher == nil || d.Codes == nil || d.Elevator == nil || d.Attempts == nil || d.Tx == nil || d.Clock == nil {
		panic("stepup: nil dependency")
	}
	if cfg.MaxAge <= 0 {
		panic("stepup: max age must be positive")
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.AttemptWindow <= 0 {
		cfg.AttemptWindow = 15 * time.Minute
	}
	return &Service{d: d, cfg: cfg}
}

// The re-authentication methods, as clients see them in `methods`.
const (
	MethodPassword = "password"
	MethodTOTP     = "totp"
	MethodSAML     = "saml"
)

// MaxAge is how long a session stays recent after an authentication.
func (s *Service) MaxAge() time.Duration { return s.cfg.MaxAge }

// ElevatedUntil is the instant sess stops being recent.
func (s *Service) ElevatedUntil(sess auth.Session) time.Time {
	return sess.ReauthenticatedAt.Add(s.cfg.MaxAge)
}

// Recent reports whether sess authenticated within MaxAge.
func (s *Service) Recent(sess auth.Session) bool {
	return s.d.Clock.Now().Before(s.ElevatedUntil(sess))
}

// Require returns nil for a recent session and otherwise
// auth.ErrStepUpRequired carrying `methods` and `max_age_seconds`.
func (s *Service) Require(ctx context.Context, sess auth.Session, u auth.User) error {
	if s.Recent(sess) {
		return nil
	}
	methods, err := s.Methods(ctx, u)
	if err != nil {
		return err
	}
	return auth.ErrStepUpRequired.WithExtra("methods", methods).
		WithExtra("max_age_seconds", int(s.cfg.MaxAge/time.Second))
}

// Methods lists the ways u can step up: password if the account has one,
// totp if it is on, saml if the user signs in through a provider.
func (s *Service) Methods(ctx context.Context, u auth.User) ([]string, error) {
	methods := []string{}
	if u.HasPassword() {
		methods = append(methods, MethodPassword)
	}
	on, err := s.d.Codes.TOTPEnabled(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("stepup: methods: %w", err)
	}
	if on {
		methods = append(methods, MethodTOTP)
	}
	if s.d.SSO != nil {
		saml, err := s.d.SSO.HasSAMLIdentity(ctx, u.ID)
		if err != nil {
			return nil, fmt.Errorf("stepup: methods: %w", err)
		}
		if saml {
			methods = append(methods, MethodSAML)
		}
	}
	return methods, nil
}
