package verification

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// maxEmail bounds what ForgotPassword looks up; longer is no address.
const maxEmail = 254

// ForgotPassword enqueues a reset email when email names an account, and
// answers the same either way, after about the same work (a lookup and a
// record, plus one job insert for an account), so that the answer reveals
// nothing. Beyond three an hour per account the request is dropped quietly;
// beyond the per-IP limit (twenty an hour unless configured) it is refused
// with a rate-limited error. A locked-out account gets its email like any.
func (s *Service) ForgotPassword(ctx context.Context, email string, ip netip.Addr) error {
	email = strings.TrimSpace(email)
	if email == "" || len(email) > maxEmail {
		return nil
	}
	ip = ip.Unmap()
	now := s.now()
	return s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		if l := (limit{s.cfg.ResetPerIP, s.cfg.ResetPerIPWindow}); ip.IsValid() && l.n > 0 {
			times, err := s.d.Requests.EmailRequestTimesByIP(ctx, ip, ports.PurposePasswordReset, now.Add(-l.window))
			if err != nil {
				return fmt.Errorf("verification: count requests: %w", err)
			}
			if d := wait(times, now, l); d > 0 {
				return auth.RateLimited(d)
			}
		}
		u, err := s.d.Users.FindUserByEmail(ctx, email)
		if err != nil && !errors.Is(err, auth.ErrNotFound) {
			return fmt.Errorf("verification: forgot password: %w", err)
		}
		// Recorded either way, for the IP limit, but with the account only
		// when an email goes to it: requests dropped by the account limit
		// must not keep it closed, or anyone could stop an account's resets
		// for good by asking for them over and over.
		req := ports.EmailRequest{Purpose: ports.PurposePasswordReset, IP: ip, CreatedAt: now}
		if u.ID == uuid.Nil {
			return s.record(ctx, req)
		}
		times, err := s.d.Requests.EmailRequestTimesByUser(ctx, u.ID, ports.PurposePasswordReset, now.Add(-resetAccountLimit.window))
		if err != nil {
			return fmt.Errorf("verification: count requests: %w", err)
		}
		if wait(times, now, resetAccountLimit) > 0 {
			return s.record(ctx, req) // quietly: a 429 would tell that the account exists
		}
		req.UserID = u.ID
		if err := s.record(ctx, req); err != nil {
			return err
		}
		job := ports.SendEmailJob{UserID: u.ID, Email: ports.EmailPasswordReset}
		if _, err := s.d.Jobs.Enqueue(ctx, job, ports.JobOpts{}); err != nil {
			return fmt.Errorf("verification: enqueue reset: %w", err)
		}
		return nil
	})
}

func (s *Service) record(ctx context.Context, r ports.EmailRequest) error {
	if err := s.d.Requests.RecordEmailRequest(ctx, r); err != nil {
		return fmt.Errorf("verification: record request: %w", err)
	}
	return nil
}

// ResetPassword sets a new password with a reset token and revokes every
// session of the user; it signs nobody in. It answers auth.ErrInvalidToken
// for any token but an unused, unexpired reset token sent to the account's
// current address, and auth.ErrWeakPassword, leaving the token usable, for a
// password the policy refuses. Using the emailed link also proves the
// address, so it is marked verified. A locked-out account resets like any
// other, and the reset lifts the lock.
func (s *Service) ResetPassword(ctx context.Context, token, newPassword string) error {
	hash, ok := parseToken(token)
	if !ok {
		return auth.ErrInvalidToken
	}
	// Look before hashing the password, which is slow and must stay out of
	// the transaction; the consume below is what makes the token single use.
	v, err := s.d.Verifications.FindUsableVerification(ctx, hash, s.now(), ports.PurposePasswordReset)
	if errors.Is(err, auth.ErrNotFound) {
		return auth.ErrInvalidToken
	}
	if err != nil {
		return fmt.Errorf("verification: reset: %w", err)
	}
	pwHash, err := s.d.Policy.HashNewPassword(newPassword, v.Email)
	if err != nil {
		return err
	}
	now := s.now()
	return s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		v, err := s.d.Verifications.ConsumeVerification(ctx, hash, now, ports.PurposePasswordReset)
		if errors.Is(err, auth.ErrNotFound) {
			return auth.ErrInvalidToken
		}
		if err != nil {
			return fmt.Errorf("verification: reset: %w", err)
		}
		// Also binds the token to the address: after an address change it
		// finds no user and the whole reset rolls back.
		if err := s.d.Users.SetEmailVerified(ctx, v.UserID, v.Email, now); errors.Is(err, auth.ErrNotFound) {
			return auth.ErrInvalidToken
		} else if err != nil {
			return fmt.Errorf("verification: reset: %w", err)
		}
		if err := s.d.Users.UpdatePasswordHash(ctx, v.UserID, pwHash, now); err != nil {
			return fmt.Errorf("verification: reset: %w", err)
		}
		if _, err := s.d.Sessions.RevokeAll(ctx, v.UserID); err != nil {
			return fmt.Errorf("verification: reset: %w", err)
		}
		if s.d.Lockout != nil {
			// Whoever was guessing the old password has nothing left to
			// guess: the owner may sign in at once.
			if err := s.d.Lockout.Reset(ctx, v.UserID); err != nil {
				return fmt.Errorf("verification: reset: %w", err)
			}
		}
		return s.recordEvent(ctx, v.UserID, ports.EventPasswordReset)
	})
}

// ChangePassword sets a new password for a signed-in user and revokes every
// other session; the caller's, keep, stays. It answers auth.ErrWeakPassword
// for a password the policy refuses. Recent authentication is the HTTP
// layer's to require.
func (s *Service) ChangePassword(ctx context.Context, userID, keep uuid.UUID, newPassword string) error {
	u, err := s.d.Users.FindUserByID(ctx, userID)
	if err != nil {
		return fmt.Errorf("verification: change password: %w", err)
	}
	pwHash, err := s.d.Policy.HashNewPassword(newPassword, u.Email)
	if err != nil {
		return err
	}
	now := s.now()
	return s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		if err := s.d.Users.UpdatePasswordHash(ctx, u.ID, pwHash, now); err != nil {
			return fmt.Errorf("verification: change password: %w", err)
		}
		if _, err := s.d.Sessions.RevokeOthers(ctx, u.ID, keep); err != nil {
			return fmt.Errorf("verification: change password: %w", err)
		}
		return s.recordEvent(ctx, u.ID, ports.EventPasswordChanged)
	})
}
