package memory

import (
	"bytes"
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
)

// CreateSession implements ports.SessionStore.
func (db *DB) CreateSession(_ context.Context, s auth.Session) error {
	defer db.lock()()
	s.AMR = slices.Clone(s.AMR)
	db.t.sessions[s.ID] = s
	return nil
}

// FindSessionByTokenHash implements ports.SessionStore.
func (db *DB) FindSessionByTokenHash(_ context.Context, hash []byte) (auth.Session, auth.User, error) {
	defer db.lock()()
	for _, s := range db.t.sessions {
		if s.RevokedAt == nil && bytes.Equal(s.TokenHash, hash) {
			return s, db.t.users[s.UserID], nil
		}
	}
	return auth.Session{}, auth.User{}, auth.ErrNotFound
}

// ListSessionsByUser implements ports.SessionStore.
func (db *DB) ListSessionsByUser(_ context.Context, userID uuid.UUID, now time.Time) ([]auth.Session, error) {
	defer db.lock()()
	var out []auth.Session
	for _, s := range db.t.sessions {
		if s.UserID == userID && s.RevokedAt == nil && s.ExpiresAt.After(now) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b auth.Session) int {
		if c := b.LastActiveAt.Compare(a.LastActiveAt); c != 0 {
			return c
		}
		return b.CreatedAt.Compare(a.CreatedAt)
	})
	return out, nil
}

// TouchSession implements ports.SessionStore.
func (db *DB) TouchSession(_ context.Context, id uuid.UUID, at time.Time) error {
	defer db.lock()()
	s, ok := db.t.sessions[id]
	if !ok || s.RevokedAt != nil {
		return auth.ErrNotFound
	}
	s.LastActiveAt = at
	db.t.sessions[id] = s
	return nil
}

// RevokeSession implements ports.SessionStore.
func (db *DB) RevokeSession(_ context.Context, userID, id uuid.UUID, at time.Time) error {
	defer db.lock()()
	s, ok := db.t.sessions[id]
	if !ok || s.UserID != userID || s.RevokedAt != nil {
		return auth.ErrNotFound
	}
	s.RevokedAt = &at
	db.t.sessions[id] = s
	return nil
}

// RevokeSessionsByUser implements ports.SessionStore.
func (db *DB) RevokeSessionsByUser(_ context.Context, userID, except uuid.UUID, at time.Time) (int, error) {
	defer db.lock()()
	n := 0
	for id, s := range db.t.sessions {
		if s.UserID == userID && id != except && s.RevokedAt == nil {
			s.RevokedAt = &at
			db.t.sessions[id] = s
			n++
		}
	}
	return n, nil
}
