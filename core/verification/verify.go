package verification

import (
	"context"
	"errors"
	"fmt"

	"authd/core/auth"
	"authd/ports"
)

// Verify consumes a token sent to verify an address or to confirm a new one,
// applies it, and returns the user as it now is. Unknown, used, voided and
// expired tokens, and tokens for an address the account no longer has, all
// answer auth.ErrInvalidToken. A new address already taken by another account
// answers auth.ErrEmailTaken and leaves the token unused.
func (s *Service) Verify(ctx context.Context, token string) (auth.User, error) {
	hash, ok := parseToken(token)
	if !ok {
		return auth.User{}, auth.ErrInvalidToken
	}
	now := s.now()
	var u auth.User
	err := s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		v, err := s.d.Verifications.ConsumeVerification(ctx, hash, now, ports.PurposeVerifyEmail, ports.PurposeEmailChange)
		if errors.Is(err, auth.ErrNotFound) {
			return auth.ErrInvalidToken
		}
		if err != nil {
			return fmt.Errorf("verification: consume: %w", err)
		}
		switch v.Purpose {
		case ports.PurposeVerifyEmail:
			err = s.d.Users.SetEmailVerified(ctx, v.UserID, v.Email, now)
			if errors.Is(err, auth.ErrNotFound) { // the address changed since
				return auth.ErrInvalidToken
			}
		case ports.PurposeEmailChange:
			err = s.applyEmailChange(ctx, v)
		}
		if err != nil {
			return err
		}
		u, err = s.d.Users.FindUserByID(ctx, v.UserID)
		return err
	})
	if err != nil {
		return auth.User{}, err
	}
	return u, nil
}

// applyEmailChange gives the user the address v confirmed, verified, records
// the change and enqueues the notice to the old address.
func (s *Service) applyEmailChange(ctx context.Context, v ports.Verification) error {
	u, err := s.d.Users.FindUserByID(ctx, v.UserID)
	if err != nil {
		return fmt.Errorf("verification: change email: %w", err)
	}
	if err := s.d.Users.UpdateEmail(ctx, u.ID, v.Email, true, *v.UsedAt); err != nil {
		if errors.Is(err, auth.ErrEmailTaken) {
			return err
		}
		return fmt.Errorf("verification: change email: %w", err)
	}
	id, err := s.newID()
	if err != nil {
		return err
	}
	change := ports.EmailChange{ID: id, UserID: u.ID, OldEmail: u.Email, NewEmail: v.Email, ChangedAt: *v.UsedAt}
	if err := s.d.Changes.CreateEmailChange(ctx, change); err != nil {
		return fmt.Errorf("verification: change email: %w", err)
	}
	job := ports.SendEmailJob{UserID: u.ID, Email: ports.EmailChangedNotice, EmailChangeID: id}
	if _, err := s.d.Jobs.Enqueue(ctx, job, ports.JobOpts{}); err != nil {
		return fmt.Errorf("verification: enqueue change notice: %w", err)
	}
	return s.recordEvent(ctx, u.ID, ports.EventEmailChanged)
}
