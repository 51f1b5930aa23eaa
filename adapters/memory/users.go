package memory

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
)

// CreateUser implements ports.UserStore.
func (db *DB) CreateUser(_ context.Context, u auth.User) error {
	defer db.lock()()
	for _, o := range db.t.users {
		if strings.EqualFold(o.Email, u.Email) {
			return auth.ErrEmailTaken
		}
	}
	db.t.users[u.ID] = u
	return nil
}

// FindUserByID implements ports.UserStore.
func (db *DB) FindUserByID(_ context.Context, id uuid.UUID) (auth.User, error) {
	defer db.lock()()
	u, ok := db.t.users[id]
	if !ok {
		return auth.User{}, auth.ErrNotFound
	}
	return db.withDeletion(u), nil
}

// FindUserByEmail implements ports.UserStore.
func (db *DB) FindUserByEmail(_ context.Context, email string) (auth.User, error) {
	defer db.lock()()
	for _, u := range db.t.users {
		if strings.EqualFold(u.Email, email) {
			return db.withDeletion(u), nil
		}
	}
	return auth.User{}, auth.ErrNotFound
}

// UpdatePasswordHash implements ports.UserStore.
func (db *DB) UpdatePasswordHash(_ context.Context, id uuid.UUID, hash string, at time.Time) error {
	defer db.lock()()
	u, ok := db.t.users[id]
	if !ok {
		return auth.ErrNotFound
	}
	u.PasswordHash, u.UpdatedAt = hash, at
	db.t.users[id] = u
	return nil
}

// SetEmailVerified implements ports.UserStore.
func (db *DB) SetEmailVerified(_ context.Context, id uuid.UUID, email string, at time.Time) error {
	defer db.lock()()
	u, ok := db.t.users[id]
	if !ok || !strings.EqualFold(u.Email, email) {
		return auth.ErrNotFound
	}
	u.EmailVerified, u.UpdatedAt = true, at
	db.t.users[id] = u
	return nil
}

// UpdateEmail implements ports.UserStore.
func (db *DB) UpdateEmail(_ context.Context, id uuid.UUID, email string, verified bool, at time.Time) error {
	defer db.lock()()
	u, ok := db.t.users[id]
	if !ok {
		return auth.ErrNotFound
	}
	for oid, o := range db.t.users {
		if oid != id && strings.EqualFold(o.Email, email) {
			return auth.ErrEmailTaken
		}
	}
	u.Email, u.EmailVerified, u.UpdatedAt = email, verified, at
	db.t.users[id] = u
	return nil
}
