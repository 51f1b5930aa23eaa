package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// Elevate records a fresh authentication (step-up) on a session and issues
// it a new token: the old token stops working in the same statement, so a
// token copied before the step-up never carries the elevated session. The
// session keeps its id, so it stays "current" in the device list.
// reauthenticated_at becomes now and method joins amr once. It returns
// auth.ErrNotFound when the session is gone or revoked. It implements
// ports.SessionElevator.
func (s *Service) Elevate(ctx context.Context, sessionID uuid.UUID, method string) (auth.IssuedSession, error) {
	if method == "" {
		return auth.IssuedSession{}, errors.New("session: elevate without an authentication method")
	}
	token, err := s.newToken()
	if err != nil {
		return auth.IssuedSession{}, err
	}
	now := s.d.Clock.Now().UTC().Truncate(time.Microsecond)
	var sess auth.Session
	// The step-up event is recorded here, where every kind of step-up
	// (password, TOTP, SAML) ends, with the rotation.
	err = s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		var err error
		if sess, err = s.d.Sessions.RotateSessionToken(ctx, sessionID, HashToken(token), method, now); err != nil {
			return fmt.Errorf("session: elevate: %w", err)
		}
		return s.record(ctx, sess.UserID, ports.EventStepUp, map[string]string{"method": method})
	})
	if err != nil {
		return auth.IssuedSession{}, err
	}
	return auth.IssuedSession{Session: sess, Token: token}, nil
}
