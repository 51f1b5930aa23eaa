package deletion

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// executeAtLayout is how emails show the deletion time: unambiguous for
// people anywhere, in UTC.
const executeAtLayout = "2 January 2006, 15:04 UTC"

// cancelPath is the app page, under AppURL, where a signed-in user cancels
// the deletion. The link carries no token: cancelling takes a session.
const cancelPath = "/cancel-deletion"

// ComposeScheduledEmail writes the deletion_scheduled email of job: when the
// account goes and where to cancel. It is auth.ErrNotFound, so the email is
// dropped, when the user is gone or nothing is pending any more (cancelled
// before the email went out).
func (s *Service) ComposeScheduledEmail(ctx context.Context, job ports.SendEmailJob) (ports.Email, error) {
	u, err := s.d.Users.FindUserByID(ctx, job.UserID)
	if err != nil {
		return ports.Email{}, err
	}
	req, err := s.d.Store.FindDeletionRequestByUser(ctx, job.UserID)
	if err != nil {
		return ports.Email{}, err
	}
	if req.Cancelled {
		return ports.Email{}, auth.ErrNotFound
	}
	link := *s.cfg.AppURL
	link.Path += cancelPath
	link.RawPath, link.RawQuery, link.Fragment = "", "", ""
	return ports.Email{To: u.Email, Kind: ports.EmailDeletionScheduled, Vars: map[string]string{
		"execute_at":  req.ExecuteAt.UTC().Format(executeAtLayout),
		"cancel_link": link.String(),
	}}, nil
}

// ComposeCancelledEmail writes the deletion_cancelled email of job;
// auth.ErrNotFound when the user is gone.
func (s *Service) ComposeCancelledEmail(ctx context.Context, job ports.SendEmailJob) (ports.Email, error) {
	u, err := s.d.Users.FindUserByID(ctx, job.UserID)
	if err != nil {
		return ports.Email{}, err
	}
	return ports.Email{To: u.Email, Kind: ports.EmailDeletionCancelled}, nil
}

// DeletedEmail is the "account deleted" email the notice noticeID asks for;
// auth.ErrNotFound when the notice is gone (already sent).
func (s *Service) DeletedEmail(ctx context.Context, noticeID uuid.UUID) (ports.Email, error) {
	n, err := s.d.Store.FindDeletionNotice(ctx, noticeID)
	if err != nil {
		return ports.Email{}, err
	}
	return ports.Email{To: n.Email, Kind: ports.EmailAccountDeleted}, nil
}

// ForgetNotice removes the notice once its email is sent (or given up on):
// the last trace of the address.
func (s *Service) ForgetNotice(ctx context.Context, noticeID uuid.UUID) error {
	if err := s.d.Store.DeleteDeletionNotice(ctx, noticeID); err != nil && !errors.Is(err, auth.ErrNotFound) {
		return fmt.Errorf("deletion: forget notice: %w", err)
	}
	return nil
}
