package httpapi

import (
	"context"
	"time"

	"authd/core/auth"
)

// userView is the API's `user` object.
type userView struct {
	ID            string        `json:"id"`
	Email         string        `json:"email"`
	EmailVerified bool          `json:"email_verified"`
	MFA           mfaView       `json:"mfa"`
	HasPassword   bool          `json:"has_password"`
	CreatedAt     time.Time     `json:"created_at"`
	Deletion      *deletionView `json:"deletion"`
}

type mfaView struct {
	TOTP bool `json:"totp"`
}

// deletionView is user.deletion: when a pending deletion executes.
type deletionView struct {
	ExecuteAt time.Time `json:"execute_at"`
}

func newUserView(u auth.User) userView {
	v := userView{ID: u.ID.String(), Email: u.Email, EmailVerified: u.EmailVerified,
		HasPassword: u.HasPassword(), CreatedAt: u.CreatedAt.UTC()}
	if u.DeletionAt != nil {
		v.Deletion = &deletionView{ExecuteAt: u.DeletionAt.UTC()}
	}
	return v
}

// userViewOf is the user object with what other capabilities know of the
// user filled in (TOTP on or off); newUserView alone leaves that false.
func (s *Server) userViewOf(ctx context.Context, u auth.User) (userView, error) {
	v := newUserView(u)
	on, err := s.d.MFA.TOTPEnabled(ctx, u.ID)
	if err != nil {
		return v, err
	}
	v.MFA.TOTP = on
	return v, nil
}

// sessionView is the API's `session` object; the token only when asked for.
type sessionView struct {
	ID           string    `json:"id"`
	ExpiresAt    time.Time `json:"expires_at"`
	SessionToken string    `json:"session_token,omitempty"`
}
