package accounts

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// Login checks an email and password and starts a session, or returns
// *MFARequiredError when the user must give a second factor first. An unknown
// address, an account without a password and a wrong password all answer
// auth.ErrInvalidCredentials after one hash verification. An account that
// failed too often answers rate-limited before its password is looked at.
func (s *Service) Login(ctx context.Context, email, password string, c auth.Client) (u auth.User, issued auth.IssuedSession, err error) {
	email, err = NormalizeEmail(email)
	if err != nil {
		// Still burn a verification: malformed and unknown look the same.
		_, _, _ = s.verifyOrBurn(password, "")
		return auth.User{}, auth.IssuedSession{}, auth.ErrInvalidCredentials
	}
	if err := s.checkSSO(ctx, email); err != nil {
		return auth.User{}, auth.IssuedSession{}, err
	}
	u, err = s.d.Users.FindUserByEmail(ctx, email)
	if err != nil && !errors.Is(err, auth.ErrNotFound) {
		return auth.User{}, auth.IssuedSession{}, fmt.Errorf("accounts: login: %w", err)
	}
	claimed := false // an attempt is claimed: settled below
	if u.ID != uuid.Nil && s.d.Lockout != nil {
		// Claimed before the password is looked at: a refusal says nothing
		// about the guess, and concurrent guesses each count.
		claim := s.d.Lockout.Attempt(ctx, u.ID)
		switch {
		case errors.Is(claim, auth.ErrNotFound):
			u = auth.User{} // deleted meanwhile: answered as unknown
		case claim != nil:
			return auth.User{}, auth.IssuedSession{}, claim
		default:
			claimed = true
			id := u.ID
			// A sign-in (the one nil error) resets the run in its session's
			// transaction; every other outcome is settled here.
			defer func() {
				if err != nil {
					err = s.settle(ctx, id, err)
				}
			}()
		}
	}
	ok, rehash, err := s.verifyOrBurn(password, u.PasswordHash)
	if err != nil {
		return auth.User{}, auth.IssuedSession{}, fmt.Errorf("accounts: verify: %w", err)
	}
	if !ok {
		// Recorded for a real account only: an unknown address has nobody
		// to tell. On its own, since there is no change to join.
		if u.ID != uuid.Nil {
			failed := map[string]string{"reason": "password"}
			if err := s.record(auth.WithClient(ctx, c), u.ID, ports.EventLoginFailed, failed); err != nil {
				return auth.User{}, auth.IssuedSession{}, err
			}
		}
		return auth.User{}, auth.IssuedSession{}, auth.ErrInvalidCredentials
	}
	if rehash {
		if err := s.rehash(ctx, u, password); err != nil {
			return auth.User{}, auth.IssuedSession{}, err
		}
	}
	// After the password, so it tells only someone who knows it; before the
	// second factor, which would be asked for nothing.
	if s.requireVerified && !u.EmailVerified {
		return auth.User{}, auth.IssuedSession{}, auth.ErrEmailUnverified
	}
	if s.d.SecondFactor != nil {
		token, required, err := s.d.SecondFactor.Challenge(ctx, u.ID)
		if err != nil {
			return auth.User{}, auth.IssuedSession{}, fmt.Errorf("accounts: second factor: %w", err)
		}
		if required {
			return auth.User{}, auth.IssuedSession{}, &MFARequiredError{Token: token}
		}
	}
	err = s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		started, err := s.d.Sessions.Start(ctx, u.ID, c, auth.MethodPassword)
		if err != nil {
			return err
		}
		issued = started
		if !claimed {
			return nil
		}
		// The sign-in ends the run of failures in the session's own
		// transaction: one commit for both, and never one without the other.
		return s.d.Lockout.Reset(ctx, u.ID)
	})
	if err != nil {
		return auth.User{}, auth.IssuedSession{}, err
	}
	return u, issued, nil
}

// settle tells the lockout how the attempt Login claimed ended when it did
// not sign in (a sign-in resets the run in its session's transaction), and
// returns the login's outcome: a wrong password is a failure; anything else
// (a second factor due, an unverified address, an error) takes the attempt
// back, without forgiving earlier failures, since the password alone signs
// nobody in. It runs even when the client has gone, so no claim is left
// behind. A failure that cannot be counted fails the login; a claim that
// cannot be taken back is left for the run's window to forget.
func (s *Service) settle(ctx context.Context, userID uuid.UUID, err error) error {
	ctx = context.WithoutCancel(ctx)
	if errors.Is(err, auth.ErrInvalidCredentials) {
		if ferr := s.d.Lockout.Fail(ctx, userID); ferr != nil {
			return ferr
		}
		return err
	}
	_ = s.d.Lockout.Release(ctx, userID)
	return err
}

// Option changes how the service behaves.
type Option func(*Service)

// RequireVerifiedLogin makes Login refuse a right password with
// auth.ErrEmailUnverified while the account's address is not verified.
func RequireVerifiedLogin(on bool) Option {
	return func(s *Service) { s.requireVerified = on }
}

// MFARequiredError is Login's answer when the password was right and the
// user has a second factor on: no session yet, but Token, the mfa_token that
// completes the login with a code. Being an error, it cannot be mistaken for
// a signed-in result by a caller that forgets to look for it.
type MFARequiredError struct {
	Token string
}

func (e *MFARequiredError) Error() string { return "accounts: a second factor is required" }

// rehash upgrades a hash made with old parameters while the password is at
// hand; it is the only moment it can be.
func (s *Service) rehash(ctx context.Context, u auth.User, password string) error {
	hash, err := s.d.Hasher.Hash(password)
	if err != nil {
		return fmt.Errorf("accounts: rehash: %w", err)
	}
	if err := s.d.Users.UpdatePasswordHash(ctx, u.ID, hash, s.d.Clock.Now()); err != nil {
		return fmt.Errorf("accounts: rehash: %w", err)
	}
	return nil
}

// record writes a security event in the transaction of ctx, when the
// service records any.
func (s *Service) record(ctx context.Context, userID uuid.UUID, kind ports.EventKind, detail map[string]string) error {
	if s.d.Activity == nil {
		return nil
	}
	return s.d.Activity.Record(ctx, userID, kind, detail)
}
