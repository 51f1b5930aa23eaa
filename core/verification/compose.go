package verification

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// The composers below write the emails of this capability for the email
// worker (see riverqueue.Composer). Those that carry a link mint its token
// here, at send time, in a transaction that commits before the worker sends:
// the queue never holds a token, and no network I/O happens inside the
// transaction. A retry mints a new token, which voids the one of the failed
// attempt. A composer returns auth.ErrNotFound (the job is cancelled, not
// retried) when there is nothing left to send: the user is gone, the address
// is already verified, the email change was confirmed, voided or expired.

// Paths of the app's pages that the links open.
const (
	verifyPath = "/verify-email"
	resetPath  = "/reset-password"
)

// mint creates a token for purpose, bound to the user and to email, and voids
// the user's older unused ones of that purpose.
func (s *Service) mint(ctx context.Context, userID uuid.UUID, email string, purpose ports.VerificationPurpose, ttl time.Duration) (string, error) {
	token, err := s.newToken()
	if err != nil {
		return "", err
	}
	id, err := s.newID()
	if err != nil {
		return "", err
	}
	now := s.now()
	v := ports.Verification{ID: id, UserID: userID, TokenHash: hashToken(token), Email: email, Purpose: purpose,
		ExpiresAt: now.Add(ttl), CreatedAt: now}
	if err := s.d.Verifications.ReplaceVerification(ctx, v); err != nil {
		return "", fmt.Errorf("verification: mint: %w", err)
	}
	return token, nil
}

// nothingToSend is auth.ErrNotFound saying why, so the worker cancels the job.
func nothingToSend(why string) error { return auth.ErrNotFound.WithMessage(why) }

// ComposeVerifyEmail writes the email that verifies the user's address.
func (s *Service) ComposeVerifyEmail(ctx context.Context, job ports.SendEmailJob) (ports.Email, error) {
	var e ports.Email
	err := s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		u, err := s.d.Users.FindUserByID(ctx, job.UserID)
		if err != nil {
			return err
		}
		if u.EmailVerified {
			return nothingToSend("the address is already verified")
		}
		token, err := s.mint(ctx, u.ID, u.Email, ports.PurposeVerifyEmail, s.cfg.VerifyTTL)
		if err != nil {
			return err
		}
		e = ports.Email{To: u.Email, Kind: ports.EmailVerify, Vars: map[string]string{"link": s.link(verifyPath, token)}}
		return nil
	})
	return e, err
}

// ComposePasswordReset writes the email that resets the user's password.
func (s *Service) ComposePasswordReset(ctx context.Context, job ports.SendEmailJob) (ports.Email, error) {
	var e ports.Email
	err := s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		u, err := s.d.Users.FindUserByID(ctx, job.UserID)
		if err != nil {
			return err
		}
		token, err := s.mint(ctx, u.ID, u.Email, ports.PurposePasswordReset, s.cfg.ResetTTL)
		if err != nil {
			return err
		}
		e = ports.Email{To: u.Email, Kind: ports.EmailPasswordReset, Vars: map[string]string{"link": s.link(resetPath, token)}}
		return nil
	})
	return e, err
}

// ComposeEmailChange writes the email that confirms the user's pending new
// address, and sends it there.
func (s *Service) ComposeEmailChange(ctx context.Context, job ports.SendEmailJob) (ports.Email, error) {
	var e ports.Email
	err := s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		pending, err := s.d.Verifications.FindPendingVerification(ctx, job.UserID, ports.PurposeEmailChange, s.now())
		if errors.Is(err, auth.ErrNotFound) {
			return nothingToSend("no email change is pending")
		}
		if err != nil {
			return err
		}
		// Someone took the address meanwhile: the link could only fail.
		if other, err := s.d.Users.FindUserByEmail(ctx, pending.Email); err == nil && other.ID != job.UserID {
			return nothingToSend("the new address has an account now")
		} else if err != nil && !errors.Is(err, auth.ErrNotFound) {
			return err
		}
		token, err := s.mint(ctx, job.UserID, pending.Email, ports.PurposeEmailChange, s.cfg.VerifyTTL)
		if err != nil {
			return err
		}
		e = ports.Email{To: pending.Email, Kind: ports.EmailChangeVerify,
			Vars: map[string]string{"link": s.link(verifyPath, token), "new_email": pending.Email}}
		return nil
	})
	return e, err
}

// ComposeEmailChanged writes the notice that tells the old address of the
// change the job names.
func (s *Service) ComposeEmailChanged(ctx context.Context, job ports.SendEmailJob) (ports.Email, error) {
	c, err := s.d.Changes.FindEmailChange(ctx, job.EmailChangeID)
	if err != nil {
		return ports.Email{}, err
	}
	if c.UserID != job.UserID {
		return ports.Email{}, nothingToSend("the email change belongs to another user")
	}
	return ports.Email{To: c.OldEmail, Kind: ports.EmailChangedNotice, Vars: map[string]string{"new_email": c.NewEmail}}, nil
}
