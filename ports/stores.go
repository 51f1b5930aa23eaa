package ports

import (
	"context"
	"net/netip"
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
	// SetEmailVerified marks the user's address verified, provided it still is
	// email (in any case); auth.ErrNotFound when there is no such user or the
	// address is another, so a token sent to an old address proves nothing.
	SetEmailVerified(ctx context.Context, id uuid.UUID, email string, at time.Time) error
	// UpdateEmail gives the user the address email, verified or not;
	// auth.ErrEmailTaken when another account uses it, auth.ErrNotFound when
	// there is no such user.
	UpdateEmail(ctx context.Context, id uuid.UUID, email string, verified bool, at time.Time) error
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
	// FindSessionByID returns the session in whatever state it is, revoked
	// and expired included; auth.ErrNotFound when there is no such session.
	FindSessionByID(ctx context.Context, id uuid.UUID) (auth.Session, error)
	// RotateSessionToken gives a live session the token hash hash and records
	// an authentication at at: reauthenticated_at = at, method appended to amr
	// unless already there, last_active_at moved up to at. The old hash stops
	// matching at once. It returns the updated session, or auth.ErrNotFound
	// when the session is gone or revoked.
	RotateSessionToken(ctx context.Context, id uuid.UUID, hash []byte, method string, at time.Time) (auth.Session, error)
	// DeviceSeen reports whether the user has any session at all (revoked and
	// expired included), and whether one named deviceName, from an address
	// inside network, was active at or after since. One indexed lookup.
	DeviceSeen(ctx context.Context, userID uuid.UUID, deviceName string, network netip.Prefix, since time.Time) (anySession, seen bool, err error)
	// DeleteExpiredSessions deletes at most limit sessions that expired
	// before before, but never a user's most recently created one (so
	// DeviceSeen still knows the user has signed in), and reports how many
	// it deleted.
	DeleteExpiredSessions(ctx context.Context, before time.Time, limit int) (int, error)
}

// SessionStarter starts a device session for a user who just authenticated
// with the methods amr (the first is the session's auth_method).
// *session.Service satisfies it; capabilities that sign people in (accounts,
// mfa, sso) consume it.
type SessionStarter interface {
	Start(ctx context.Context, userID uuid.UUID, c auth.Client, amr ...string) (auth.IssuedSession, error)
}

// SessionElevator records a step-up on a session: it issues the session a new
// token (the old one is dead at once), sets reauthenticated_at to now and adds
// method to its amr. It returns auth.ErrNotFound when the session is gone or
// revoked. *session.Service satisfies it; step-up consumes it.
type SessionElevator interface {
	Elevate(ctx context.Context, sessionID uuid.UUID, method string) (auth.IssuedSession, error)
}

// SessionRevoker ends a user's sessions and reports how many it revoked.
// RevokeAll ends every one (password reset); RevokeOthers every one but keep
// (password change, deletion request). *session.Service satisfies it.
type SessionRevoker interface {
	RevokeAll(ctx context.Context, userID uuid.UUID) (int, error)
	RevokeOthers(ctx context.Context, userID, keep uuid.UUID) (int, error)
}
