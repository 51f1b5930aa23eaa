package memory

import (
	"bytes"
	"context"
	"net/netip"
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
			return s, db.withDeletion(db.t.users[s.UserID]), nil
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

// FindSessionByID implements ports.SessionStore.
func (db *DB) FindSessionByID(_ context.Context, id uuid.UUID) (auth.Session, error) {
	defer db.lock()()
	s, ok := db.t.sessions[id]
	if !ok {
		return auth.Session{}, auth.ErrNotFound
	}
	s.AMR = slices.Clone(s.AMR)
	return s, nil
}

// RotateSessionToken implements ports.SessionStore.
func (db *DB) RotateSessionToken(_ context.Context, id uuid.UUID, hash []byte, method string, at time.Time) (auth.Session, error) {
	defer db.lock()()
	s, ok := db.t.sessions[id]
	if !ok || s.RevokedAt != nil {
		return auth.Session{}, auth.ErrNotFound
	}
	// A fresh slice: the old one may be shared with a snapshot or a caller.
	s.AMR = slices.Clone(s.AMR)
	if !slices.Contains(s.AMR, method) {
		s.AMR = append(s.AMR, method)
	}
	s.TokenHash = slices.Clone(hash)
	s.ReauthenticatedAt = at
	if at.After(s.LastActiveAt) {
		s.LastActiveAt = at
	}
	db.t.sessions[id] = s
	s.AMR = slices.Clone(s.AMR)
	return s, nil
}

// DeviceSeen implements ports.SessionStore.
func (db *DB) DeviceSeen(_ context.Context, userID uuid.UUID, deviceName string, network netip.Prefix, since time.Time) (anySession, seen bool, err error) {
	defer db.lock()()
	for _, s := range db.t.sessions {
		if s.UserID != userID {
			continue
		}
		anySession = true
		if s.Device.Name == deviceName && network.Contains(s.IP) && !s.LastActiveAt.Before(since) {
			return true, true, nil
		}
	}
	return anySession, false, nil
}

// DeleteExpiredSessions implements ports.SessionStore.
func (db *DB) DeleteExpiredSessions(_ context.Context, before time.Time, limit int) (int, error) {
	defer db.lock()()
	newest := map[uuid.UUID]time.Time{}
	for _, s := range db.t.sessions {
		if s.CreatedAt.After(newest[s.UserID]) {
			newest[s.UserID] = s.CreatedAt
		}
	}
	n := 0
	for id, s := range db.t.sessions {
		if n == limit {
			break
		}
		if s.ExpiresAt.Before(before) && s.CreatedAt.Before(newest[s.UserID]) {
			delete(db.t.sessions, id)
			delete(db.t.mfa.stepUps, id)
			n++
		}
	}
	return n, nil
}
