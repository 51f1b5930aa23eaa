package httpapi

import (
	"time"

	"authd/core/auth"
)

// userView is the API's `user` object.
type userView struct {
	ID            string    `json:"id"`
	Email         string    `json:"email"`
	EmailVerified bool      `json:"email_verified"`
	MFA           mfaView   `json:"mfa"`
	HasPassword   bool      `json:"has_password"`
	CreatedAt     time.Time `json:"created_at"`
	Deletion      *deletion `json:"deletion"`
}

type mfaView struct {
	TOTP bool `json:"totp"`
}

type deletion struct {
	ExecuteAt time.Time `json:"execute_at"`
}

func newUserView(u auth.User) userView {
	return userView{ID: u.ID.String(), Email: u.Email, EmailVerified: u.EmailVerified,
		HasPassword: u.HasPassword(), CreatedAt: u.CreatedAt.UTC()}
}

// sessionView is the API's `session` object; the token only when asked for.
type sessionView struct {
	ID           string    `json:"id"`
	ExpiresAt    time.Time `json:"expires_at"`
	SessionToken string    `json:"session_token,omitempty"`
}
