package stepup

import (
	"context"
	"errors"
	"fmt"
	"time"

	"authd/core/auth"
	"authd/ports"
)

// Proof is what a step-up presents: exactly one of the fields.
type Proof struct {
	Password     string
	TOTPCode     string
	RecoveryCode string
}

// Elevation is a stepped-up session: its rotated token and when it stops
// being recent.
type Elevation struct {
	Session auth.IssuedSession
	Until   time.Time
}

// StepUp re-authenticates u on sess. auth.ErrInvalidRequest unless exactly
// one proof is given; auth.ErrInvalidCredentials for a wrong one;
// auth.RateLimited once the session's attempts in the window are spent or
// while the account is locked out;
// auth.ErrUnauthenticated when the session ended meanwhile.
func (s *Service) StepUp(ctx context.Context, sess auth.Session, u auth.User, p Proof) (Elevation, error) {
	n := 0
	for _, f := range []string{p.Password, p.TOTPCode, p.RecoveryCode} {
		if f != "" {
			n++
		}
	}
	if n != 1 {
		return Elevation{}, auth.ErrInvalidRequest.WithMessage("Give exactly one of password, totp_code and recovery_code.")
	}
	now := s.d.Clock.Now()
	// Counted, and committed, before the proof is checked: concurrent guesses
	// each take an attempt, so none slips past the bound.
	claimed, start, err := s.d.Attempts.ClaimStepUpAttempt(ctx, sess.ID, u.ID, now, s.cfg.AttemptWindow, s.cfg.MaxAttempts)
	if err != nil {
		return Elevation{}, fmt.Errorf("stepup: claim attempt: %w", err)
	}
	if !claimed {
		return Elevation{}, auth.RateLimited(start.Add(s.cfg.AttemptWindow).Sub(now))
	}
	if s.d.Lockout != nil {
		// The account's attempt too: a step-up proof is a guess at the same
		// credentials a login checks.
		if err := s.d.Lockout.Attempt(ctx, u.ID); errors.Is(err, auth.ErrNotFound) {
			return Elevation{}, auth.ErrUnauthenticated // the user is gone
		} else if err != nil {
			return Elevation{}, err
		}
	}
	method := auth.MethodOTP
	if p.Password != "" {
		method = auth.MethodPassword
		// Checked outside the transaction: hashing is slow, and holds nothing.
		if err := s.checkPassword(u, p.Password); err != nil {
			return Elevation{}, s.recordFailure(ctx, u, method, err)
		}
	}
	var issued auth.IssuedSession
	err = s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		var err error
		switch {
		case p.TOTPCode != "":
			err = s.d.Codes.UseTOTP(ctx, u.ID, p.TOTPCode)
		case p.RecoveryCode != "":
			err = s.d.Codes.UseRecoveryCode(ctx, u.ID, p.RecoveryCode)
		}
		if errors.Is(err, auth.ErrInvalidCode) {
			return auth.ErrInvalidCredentials.WithMessage("The code is not valid.")
		}
		if err != nil {
			return err
		}
		issued, err = s.d.Elevator.Elevate(ctx, sess.ID, method)
		if errors.Is(err, auth.ErrNotFound) {
			return auth.ErrUnauthenticated // revoked between the lookup and now
		}
		if err != nil {
			return err
		}
		if s.d.Lockout != nil {
			if err := s.d.Lockout.Reset(ctx, u.ID); err != nil {
				return err
			}
		}
		return s.d.Attempts.ClearStepUpAttempts(ctx, sess.ID)
	})
	if err != nil {
		return Elevation{}, s.recordFailure(ctx, u, method, err)
	}
	return Elevation{Session: issued, Until: s.ElevatedUntil(issued.Session)}, nil
}

func (s *Service) checkPassword(u auth.User, password string) error {
	if !u.HasPassword() {
		return auth.ErrInvalidCredentials.WithMessage("This account has no password.")
	}
	ok, _, err := s.d.Hasher.Verify(password, u.PasswordHash)
	if err != nil {
		return fmt.Errorf("stepup: verify password: %w", err)
	}
	if !ok {
		return auth.ErrInvalidCredentials.WithMessage("The password is incorrect.")
	}
	return nil
}

// recordFailure records a wrong proof (auth.ErrInvalidCredentials) on its
// own, outside the transaction it failed in, and counts it toward the
// account's lockout; any other error takes the account's attempt back. It
// returns err. A successful step-up is recorded by the session's Elevate.
func (s *Service) recordFailure(ctx context.Context, u auth.User, method string, err error) error {
	if s.d.Lockout != nil {
		if !errors.Is(err, auth.ErrInvalidCredentials) {
			// A claim that cannot be taken back is left for the run's
			// window to forget.
			_ = s.d.Lockout.Release(context.WithoutCancel(ctx), u.ID)
		} else if ferr := s.d.Lockout.Fail(context.WithoutCancel(ctx), u.ID); ferr != nil {
			return ferr
		}
	}
	if !errors.Is(err, auth.ErrInvalidCredentials) || s.d.Activity == nil {
		return err
	}
	failed := map[string]string{"method": method}
	if rerr := s.d.Activity.Record(ctx, u.ID, ports.EventStepUpFailed, failed); rerr != nil {
		return rerr
	}
	return err
}
