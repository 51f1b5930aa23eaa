package ports

import (
	"context"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
)

// UserStore keeps accounts. Emails are compared case-insensitively.
type UserStore interface {
	// CreateUser returns auth.ErrEmailTaken when the address is in use.
	CreateUser(ctx context.Context, u auth.User) error
	// FindUserByID returns auth.ErrNotFound when there is no such user.
	FindUserByID(ctx context.Context, id uuid.UUID) (auth.User, error)
	// FindUserByEmail returns auth.ErrNotFound when there is no such user.
	FindUserByEmail(ctx context.Context, email string) (auth.User, error)
	// UpdatePasswordHash returns auth.ErrNotFound when there is no such user.
	UpdatePasswordHash(ctx context.Context, id uuid.UUID, hash string, at time.Time) error
}

// SessionStore keeps device sessions. Lookups by token hash see only sessions
// that are not revoked; expiry is the caller's decision.
type SessionStore interface {
	CreateSession(ctx context.Context, s auth.Session) error
	// FindSessionByTokenHash returns the session and its user, or
	// auth.ErrNotFound for an unknown or revoked token. It runs on every
	// authenticated request: one indexed lookup.
	FindSessionByTokenHash(ctx context.Context, hash []byte) (auth.Session, auth.User, error)
	// ListSessionsByUser lists the user's sessions that are not revoked and
	// expire after now, most recently active first.
	ListSessionsByUser(ctx context.Context, userID uuid.UUID, now time.Time) ([]auth.Session, error)
	// TouchSession sets last_active_at; auth.ErrNotFound when the session is
	// gone or revoked.
	TouchSession(ctx context.Context, id uuid.UUID, at time.Time) error
	// RevokeSession revokes one session of the user; auth.ErrNotFound when the
	// user has no such live session.
	RevokeSession(ctx context.Context, userID, id uuid.UUID, at time.Time) error
	// RevokeSessionsByUser revokes every live session of the user except the
	// one named by except (uuid.Nil: none) and reports how many it revoked.
	RevokeSessionsByUser(ctx context.Context, userID, except uuid.UUID, at time.Time) (int, error)
}

// SessionStarter starts a device session for a user who just authenticated
// with the methods amr (the first is the session's auth_method).
// *session.Service satisfies it; capabilities that sign people in (accounts,
// mfa, sso) consume it.
type SessionStarter interface {
	Start(ctx context.Context, userID uuid.UUID, c auth.Client, amr ...string) (auth.IssuedSession, error)
}
