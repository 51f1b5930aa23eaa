package auth

import (
	"time"

	"github.com/google/uuid"
)

// User is an account. PasswordHash is empty for accounts that sign in only
// through single sign-on.
type User struct {
	ID            uuid.UUID
	Email         string
	EmailVerified bool
	PasswordHash  string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// DeletionAt is when the account's pending deletion executes; nil when
	// none is pending. Stores fill it on every user lookup (it is not a
	// column of users, and CreateUser ignores it).
	DeletionAt *time.Time
}

// HasPassword reports whether the user can sign in with a password.
func (u User) HasPassword() bool { return u.PasswordHash != "" }
