package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"authd/core/auth"
	"authd/ports"
)

type replacedKey struct{}

// Replacing returns a context under which the next Start also revokes old, in
// the same transaction as the new session. The HTTP layer sets it on sign-in
// requests that arrive carrying a live session, so a token planted in a
// browser before login (session fixation) never outlives the login, and
// every sign-in path (password, MFA, SSO) rotates without each use case
// threading the old session through its own signature.
func Replacing(ctx context.Context, old auth.Session) context.Context {
	return context.WithValue(ctx, replacedKey{}, old)
}

// revokeReplaced revokes the session Replacing put in ctx, if any. It is
// already gone when it was revoked meanwhile, which is what was wanted.
func (s *Service) revokeReplaced(ctx context.Context, at time.Time) error {
	old, ok := ctx.Value(replacedKey{}).(auth.Session)
	if !ok {
		return nil
	}
	err := s.d.Sessions.RevokeSession(ctx, old.UserID, old.ID, at)
	switch {
	case errors.Is(err, auth.ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("session: revoke replaced: %w", err)
	}
	s.d.Metrics.SessionsRevoked(ctx, ports.RevokedReplaced, 1)
	return nil
}
