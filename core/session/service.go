package session

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// Deps are the ports the service uses.
type Deps struct {
	Sessions ports.SessionStore
	// Users finds the address a new-device alert goes to.
	Users ports.UserStore
	// Tx and Jobs make a session and its new-device alert commit together.
	Tx     ports.TxRunner
	Jobs   ports.Enqueuer
	UA     ports.UAParser
	Clock  ports.Clock
	Random ports.Random
	// Activity records sign-ins, sign-outs and revocations in their
	// transactions (*activity.Service). Optional: nil records nothing.
	Activity ports.ActivityRecorder
	// Metrics counts sessions started and revoked, in the same
	// transactions. Optional: nil counts nothing.
	Metrics ports.SessionMetrics
}

// Config bounds session lifetimes.
type Config struct {
	Lifetime      time.Duration // absolute, from login
	IdleTimeout   time.Duration // since last activity
	TouchInterval time.Duration // how stale last_active_at may get before a write
}

// The ports other capabilities consume, satisfied here and wired in cmd.
var (
	_ ports.SessionStarter  = (*Service)(nil)
	_ ports.SessionElevator = (*Service)(nil)
	_ ports.SessionRevoker  = (*Service)(nil)
)

// Service manages device sessions.
type Service struct {
	d   Deps
	cfg Config
}

// New returns a Service; it panics on missing dependencies so bad wiring
// fails at start.
func New(d Deps, cfg Config) *Service {
	if d.Sessions == nil || d.Users == nil || d.Tx == nil || d.Jobs == nil || d.UA == nil || d.Clock == nil ||
		d.Random == nil {
		panic("session: nil dependency")
	}
	if cfg.Lifetime <= 0 || cfg.IdleTimeout <= 0 {
		panic("session: lifetime and idle timeout must be positive")
	}
	if cfg.TouchInterval <= 0 {
		cfg.TouchInterval = time.Minute
	}
	if d.Metrics == nil {
		d.Metrics = noMetrics{}
	}
	return &Service{d: d, cfg: cfg}
}

const tokenBytes = 32

// tokenLen is the length of a base64url token of tokenBytes.
var tokenLen = base64.RawURLEncoding.EncodedLen(tokenBytes)

// HashToken is the stored form of a session token.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

func (s *Service) newToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := s.d.Random.Read(b); err != nil {
		return "", fmt.Errorf("session: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Start creates a session for a user who just authenticated with the methods
// amr; the first is recorded as the session's auth_method. In one
// transaction (the caller's, when ctx carries one) it also revokes the
// session the request replaces (see Replacing) and enqueues a new-device
// alert when this device and network are new for the user.
func (s *Service) Start(ctx context.Context, userID uuid.UUID, c auth.Client, amr ...string) (auth.IssuedSession, error) {
	if len(amr) == 0 {
		return auth.IssuedSession{}, errors.New("session: start without an authentication method")
	}
	token, err := s.newToken()
	if err != nil {
		return auth.IssuedSession{}, err
	}
	id, err := uuid.NewRandomFromReader(s.d.Random)
	if err != nil {
		return auth.IssuedSession{}, fmt.Errorf("session: id: %w", err)
	}
	now := s.d.Clock.Now().UTC().Truncate(time.Microsecond)
	sess := auth.Session{
		ID: id, UserID: userID, TokenHash: HashToken(token),
		// Unmapped, so an IPv4 client behind a dual-stack listener is
		// compared with its /24, not with a /48 of ::ffff:0:0/96.
		IP: c.IP.Unmap(), UserAgent: c.UserAgent, Device: s.d.UA.Parse(c.UserAgent),
		AuthMethod: amr[0], AMR: slices.Clone(amr),
		CreatedAt: now, LastActiveAt: now, ExpiresAt: now.Add(s.cfg.Lifetime), ReauthenticatedAt: now,
	}
	err = s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		if err := s.revokeReplaced(ctx, now); err != nil {
			return err
		}
		// Asked before the insert, which would otherwise answer itself.
		alert, err := s.isNewDevice(ctx, sess)
		if err != nil {
			return err
		}
		if err := s.d.Sessions.CreateSession(ctx, sess); err != nil {
			return fmt.Errorf("session: start: %w", err)
		}
		s.d.Metrics.SessionStarted(ctx, sess.AMR)
		if alert {
			job := ports.SendEmailJob{UserID: userID, Email: ports.EmailNewDevice, SessionID: sess.ID}
			if _, err := s.d.Jobs.Enqueue(ctx, job, ports.JobOpts{}); err != nil {
				return fmt.Errorf("session: enqueue new-device alert: %w", err)
			}
		}
		return s.recordSignIn(auth.WithClient(ctx, c), sess)
	})
	if err != nil {
		return auth.IssuedSession{}, err
	}
	return auth.IssuedSession{Session: sess, Token: token}, nil
}

// Authenticate returns the live session a token names and its user, or
// auth.ErrUnauthenticated. It runs on every authenticated request: one lookup,
// and a write only when last_active_at is older than the touch interval.
func (s *Service) Authenticate(ctx context.Context, token string) (auth.Session, auth.User, error) {
	if len(token) != tokenLen {
		return auth.Session{}, auth.User{}, auth.ErrUnauthenticated
	}
	sess, user, err := s.d.Sessions.FindSessionByTokenHash(ctx, HashToken(token))
	if errors.Is(err, auth.ErrNotFound) {
		return auth.Session{}, auth.User{}, auth.ErrUnauthenticated
	}
	if err != nil {
		return auth.Session{}, auth.User{}, fmt.Errorf("session: authenticate: %w", err)
	}
	now := s.d.Clock.Now()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastActiveAt) >= s.cfg.IdleTimeout {
		return auth.Session{}, auth.User{}, auth.ErrUnauthenticated
	}
	if now.Sub(sess.LastActiveAt) >= s.cfg.TouchInterval {
		err := s.d.Sessions.TouchSession(ctx, sess.ID, now.UTC().Truncate(time.Microsecond))
		if errors.Is(err, auth.ErrNotFound) { // revoked meanwhile
			return auth.Session{}, auth.User{}, auth.ErrUnauthenticated
		}
		if err != nil {
			return auth.Session{}, auth.User{}, fmt.Errorf("session: touch: %w", err)
		}
		sess.LastActiveAt = now
	}
	return sess, user, nil
}

// Logout revokes the session itself.
func (s *Service) Logout(ctx context.Context, sess auth.Session) error {
	return s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		err := s.d.Sessions.RevokeSession(ctx, sess.UserID, sess.ID, s.d.Clock.Now())
		if errors.Is(err, auth.ErrNotFound) {
			return nil // already ended: nothing happened to record
		}
		if err != nil {
			return fmt.Errorf("session: logout: %w", err)
		}
		s.d.Metrics.SessionsRevoked(ctx, ports.RevokedLogout, 1)
		return s.record(ctx, sess.UserID, ports.EventLogout, map[string]string{"session_id": sess.ID.String()})
	})
}
