package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"authd/core/auth"
)

// UserStore implements ports.UserStore.
type UserStore struct{ db *DB }

// NewUserStore returns a UserStore on db.
func NewUserStore(db *DB) *UserStore { return &UserStore{db: db} }

// userColumns reads a user of the alias u. The last column is when the
// user's pending deletion executes: one probe of deletion_requests_user_id_key,
// so every lookup, the per-request session lookup included, tells it
// without another round trip.
const userColumns = `u.id, u.email, u.email_verified, coalesce(u.password_hash, ''), u.created_at, u.updated_at,
	(SELECT d.execute_at FROM deletion_requests d WHERE d.user_id = u.id AND NOT d.cancelled)`

func scanUser(row pgx.Row) (auth.User, error) {
	var u auth.User
	err := row.Scan(&u.ID, &u.Email, &u.EmailVerified, &u.PasswordHash, &u.CreatedAt, &u.UpdatedAt, &u.DeletionAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return auth.User{}, auth.ErrNotFound
	}
	return u, err
}

// CreateUser inserts u; auth.ErrEmailTaken when the address is in use.
func (s *UserStore) CreateUser(ctx context.Context, u auth.User) error {
	_, err := s.db.conn(ctx).Exec(ctx, `
		INSERT INTO users (id, email, email_verified, password_hash, created_at, updated_at)
		VALUES ($1, $2, $3, nullif($4, ''), $5, $6)`,
		u.ID, u.Email, u.EmailVerified, u.PasswordHash, u.CreatedAt, u.UpdatedAt)
	if c, ok := uniqueViolation(err); ok && c == "users_email_key" {
		return auth.ErrEmailTaken
	}
	if err != nil {
		return fmt.Errorf("postgres: create user: %w", err)
	}
	return nil
}

// FindUserByID returns auth.ErrNotFound when there is no such user.
func (s *UserStore) FindUserByID(ctx context.Context, id uuid.UUID) (auth.User, error) {
	u, err := scanUser(s.db.conn(ctx).QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1`, id))
	if err != nil && !errors.Is(err, auth.ErrNotFound) {
		return u, fmt.Errorf("postgres: find user: %w", err)
	}
	return u, err
}

// FindUserByEmail matches case-insensitively through users_email_key.
func (s *UserStore) FindUserByEmail(ctx context.Context, email string) (auth.User, error) {
	u, err := scanUser(s.db.conn(ctx).QueryRow(ctx,
		`SELECT `+userColumns+` FROM users u WHERE lower(u.email) = lower($1)`, email))
	if err != nil && !errors.Is(err, auth.ErrNotFound) {
		return u, fmt.Errorf("postgres: find user by email: %w", err)
	}
	return u, err
}

// UpdatePasswordHash returns auth.ErrNotFound when there is no such user.
func (s *UserStore) UpdatePasswordHash(ctx context.Context, id uuid.UUID, hash string, at time.Time) error {
	tag, err := s.db.conn(ctx).Exec(ctx,
		`UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1`, id, hash, at)
	if err != nil {
		return fmt.Errorf("postgres: update password: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return auth.ErrNotFound
	}
	s.db.changedUser(ctx, id)
	return nil
}

// SetEmailVerified verifies the address only while it is still email, in the
// same statement, so a concurrent address change cannot slip in between.
func (s *UserStore) SetEmailVerified(ctx context.Context, id uuid.UUID, email string, at time.Time) error {
	tag, err := s.db.conn(ctx).Exec(ctx, `
		UPDATE users SET email_verified = true, updated_at = $3
		WHERE id = $1 AND lower(email) = lower($2)`, id, email, at)
	if err != nil {
		return fmt.Errorf("postgres: set email verified: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return auth.ErrNotFound
	}
	s.db.changedUser(ctx, id)
	return nil
}

// UpdateEmail returns auth.ErrEmailTaken when users_email_key refuses email.
func (s *UserStore) UpdateEmail(ctx context.Context, id uuid.UUID, email string, verified bool, at time.Time) error {
	tag, err := s.db.conn(ctx).Exec(ctx, `
		UPDATE users SET email = $2, email_verified = $3, updated_at = $4 WHERE id = $1`, id, email, verified, at)
	if c, ok := uniqueViolation(err); ok && c == "users_email_key" {
		return auth.ErrEmailTaken
	}
	if err != nil {
		return fmt.Errorf("postgres: update email: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return auth.ErrNotFound
	}
	s.db.changedUser(ctx, id)
	return nil
}
