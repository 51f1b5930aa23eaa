package verification

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// Resend sends the user a new verification email, which voids the previous
// link. It answers auth.ErrAlreadyVerified for a verified address and a
// rate-limited error beyond one a minute or five a day.
func (s *Service) Resend(ctx context.Context, userID uuid.UUID) error {
	u, err := s.d.Users.FindUserByID(ctx, userID)
	if err != nil {
		return fmt.Errorf("verification: resend: %w", err)
	}
	if u.EmailVerified {
		return auth.ErrAlreadyVerified
	}
	now := s.now()
	return s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		if err := s.limitUser(ctx, u.ID, ports.PurposeVerifyEmail, now); err != nil {
			return err
		}
		job := ports.SendEmailJob{UserID: u.ID, Email: ports.EmailVerify}
		if _, err := s.d.Jobs.Enqueue(ctx, job, ports.JobOpts{}); err != nil {
			return fmt.Errorf("verification: enqueue resend: %w", err)
		}
		return nil
	})
}

// limitUser refuses a request beyond resendLimits and records the others. It
// runs in the caller's transaction, which the request log serialises per user
// and purpose, so two concurrent requests cannot both pass on one slot.
func (s *Service) limitUser(ctx context.Context, userID uuid.UUID, purpose ports.VerificationPurpose, now time.Time) error {
	times, err := s.d.Requests.EmailRequestTimesByUser(ctx, userID, purpose, now.Add(-longestWindow))
	if err != nil {
		return fmt.Errorf("verification: count requests: %w", err)
	}
	if d := wait(times, now, resendLimits...); d > 0 {
		return auth.RateLimited(d)
	}
	if err := s.d.Requests.RecordEmailRequest(ctx, ports.EmailRequest{UserID: userID, Purpose: purpose, CreatedAt: now}); err != nil {
		return fmt.Errorf("verification: record request: %w", err)
	}
	return nil
}
