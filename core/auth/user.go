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
}

// HasPassword reports whether the user can sign in with a password.
func (u User) HasPassword() bool { return u.PasswordHash != "" }
