package throttle

import (
	"context"
	"time"

	"authd/core/auth"
	"authd/ports"
)

// forgotPath is the app page, under AppURL, where a password reset is asked
// for. The link carries no token: the reset email does, sent on request.
const forgotPath = "/forgot-password"

// ComposeLockedEmail writes the account_locked email of job (see
// riverqueue.Composer): until when the account is locked, and where to reset
// the password meanwhile. It is auth.ErrNotFound, so the email is dropped,
// when the user is gone or the lock was lifted before the email went out (a
// password reset or a new run).
func (s *Service) ComposeLockedEmail(ctx context.Context, job ports.SendEmailJob) (ports.Email, error) {
	u, err := s.d.Users.FindUserByID(ctx, job.UserID)
	if err != nil {
		return ports.Email{}, err
	}
	f, err := s.d.Store.FindAccountFailures(ctx, job.UserID)
	if err != nil {
		return ports.Email{}, err
	}
	if f.LockedUntil == nil {
		return ports.Email{}, auth.ErrNotFound.WithMessage("the account is no longer locked")
	}
	link := *s.cfg.AppURL
	link.Path += forgotPath
	link.RawPath, link.RawQuery, link.Fragment = "", "", ""
	return ports.Email{To: u.Email, Kind: ports.EmailAccountLocked, Vars: map[string]string{
		"until":      f.LockedUntil.UTC().Format(time.RFC1123),
		"reset_link": link.String(),
	}}, nil
}
