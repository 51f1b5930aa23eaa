package session

import (
	"context"
	"fmt"
	"strconv"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// List returns the user's live sessions, most recently active first. Sessions
// past their idle timeout are left out: they no longer authenticate, so
// showing them as places the user is signed in would be wrong.
func (s *Service) List(ctx context.Context, userID uuid.UUID) ([]auth.Session, error) {
	now := s.d.Clock.Now()
	all, err := s.d.Sessions.ListSessionsByUser(ctx, userID, now)
	if err != nil {
		return nil, fmt.Errorf("session: list: %w", err)
	}
	live := all[:0]
	for _, sess := range all {
		if now.Sub(sess.LastActiveAt) < s.cfg.IdleTimeout {
			live = append(live, sess)
		}
	}
	return live, nil
}

// Revoke ends one of the user's sessions. It returns auth.ErrNotFound for an
// unknown id, a revoked session and another user's session alike, so the
// answer tells nobody which ids exist.
func (s *Service) Revoke(ctx context.Context, userID, id uuid.UUID) error {
	return s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		if err := s.d.Sessions.RevokeSession(ctx, userID, id, s.d.Clock.Now()); err != nil {
			return fmt.Errorf("session: revoke: %w", err)
		}
		s.d.Metrics.SessionsRevoked(ctx, ports.RevokedByUser, 1)
		return s.record(ctx, userID, ports.EventSessionRevoked, map[string]string{"session_id": id.String()})
	})
}

// RevokeOthers ends every session of the user except keep and reports how
// many it ended. It implements ports.SessionRevoker.
func (s *Service) RevokeOthers(ctx context.Context, userID, keep uuid.UUID) (int, error) {
	return s.revokeOthers(ctx, userID, keep, ports.RevokedOthers)
}

// RevokeAll ends every session of the user (password reset) and reports how
// many it ended. It implements ports.SessionRevoker.
func (s *Service) RevokeAll(ctx context.Context, userID uuid.UUID) (int, error) {
	return s.revokeAll(ctx, userID, ports.RevokedAll)
}

func (s *Service) revokeOthers(ctx context.Context, userID, keep uuid.UUID, reason ports.RevokeReason) (int, error) {
	n, err := s.revokeAllBut(ctx, userID, keep, reason)
	if err != nil {
		return 0, fmt.Errorf("session: revoke others: %w", err)
	}
	return n, nil
}

func (s *Service) revokeAll(ctx context.Context, userID uuid.UUID, reason ports.RevokeReason) (int, error) {
	n, err := s.revokeAllBut(ctx, userID, uuid.Nil, reason)
	if err != nil {
		return 0, fmt.Errorf("session: revoke all: %w", err)
	}
	return n, nil
}

// revokeAllBut revokes the user's sessions but keep and records how many,
// when any, in one transaction; the metrics count them under reason.
func (s *Service) revokeAllBut(ctx context.Context, userID, keep uuid.UUID, reason ports.RevokeReason) (int, error) {
	var n int
	err := s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		var err error
		if n, err = s.d.Sessions.RevokeSessionsByUser(ctx, userID, keep, s.d.Clock.Now()); err != nil || n == 0 {
			return err
		}
		s.d.Metrics.SessionsRevoked(ctx, reason, n)
		return s.record(ctx, userID, ports.EventSessionsRevoked, map[string]string{"count": strconv.Itoa(n)})
	})
	return n, err
}
