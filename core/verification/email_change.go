package verification

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// ChangeEmail starts a change of the user's address: it remembers the new
// address as a pending email change and enqueues the email that carries the
// token to it. The address changes only when that token comes back through
// Verify. It answers auth.ErrInvalidEmail, auth.ErrEmailTaken (the new
// address has an account, or is the current one) and, beyond one a minute or
// five a day, a rate-limited error.
func (s *Service) ChangeEmail(ctx context.Context, userID uuid.UUID, newEmail string) error {
	newEmail, err := s.d.Policy.NormalizeEmail(newEmail)
	if err != nil {
		return err
	}
	u, err := s.d.Users.FindUserByID(ctx, userID)
	if err != nil {
		return fmt.Errorf("verification: change email: %w", err)
	}
	if strings.EqualFold(u.Email, newEmail) {
		return auth.ErrEmailTaken.WithMessage("This is already the address of your account.")
	}
	now := s.now()
	return s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		_, err := s.d.Users.FindUserByEmail(ctx, newEmail)
		if err == nil {
			return auth.ErrEmailTaken
		}
		if !errors.Is(err, auth.ErrNotFound) {
			return fmt.Errorf("verification: change email: %w", err)
		}
		if err := s.limitUser(ctx, u.ID, ports.PurposeEmailChange, now); err != nil {
			return err
		}
		id, err := s.newID()
		if err != nil {
			return err
		}
		// No token yet: the worker mints it when it sends, and finds the new
		// address here, so the job carries neither.
		pending := ports.Verification{ID: id, UserID: u.ID, Email: newEmail, Purpose: ports.PurposeEmailChange,
			ExpiresAt: now.Add(s.cfg.VerifyTTL), CreatedAt: now}
		if err := s.d.Verifications.ReplaceVerification(ctx, pending); err != nil {
			return fmt.Errorf("verification: change email: %w", err)
		}
		job := ports.SendEmailJob{UserID: u.ID, Email: ports.EmailChangeVerify}
		if _, err := s.d.Jobs.Enqueue(ctx, job, ports.JobOpts{}); err != nil {
			return fmt.Errorf("verification: enqueue email change: %w", err)
		}
		return nil
	})
}
