package mfa

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

const challengeTokenBytes = 32

var challengeTokenLen = base64.RawURLEncoding.EncodedLen(challengeTokenBytes)

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// Challenge implements ports.SecondFactor: after a correct password, a user
// with TOTP on gets an mfa_token instead of a session.
func (s *Service) Challenge(ctx context.Context, userID uuid.UUID) (string, bool, error) {
	on, err := s.TOTPEnabled(ctx, userID)
	if err != nil || !on {
		return "", false, err
	}
	b, err := s.random(challengeTokenBytes)
	if err != nil {
		return "", false, err
	}
	id, err := uuid.NewRandomFromReader(s.d.Random)
	if err != nil {
		return "", false, fmt.Errorf("mfa: id: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	now := s.now()
	err = s.d.Store.CreateMFAChallenge(ctx, ports.MFAChallenge{ID: id, UserID: userID, TokenHash: hashToken(token),
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.ChallengeTTL)})
	if err != nil {
		return "", false, fmt.Errorf("mfa: challenge: %w", err)
	}
	return token, true, nil
}

// CompleteLogin finishes a login with the mfa_token and a TOTP or recovery
// code, and starts a session whose amr is [pwd, otp].
// auth.ErrInvalidMFAToken for an unknown, expired, used or voided token;
// ErrLoginCode for a wrong code, which spends one of the token's attempts
// and counts toward the account's lockout; auth.RateLimited, before the code
// is looked at, while the account is locked or waiting out its delay.
func (s *Service) CompleteLogin(ctx context.Context, token, code string, c auth.Client) (auth.User, auth.IssuedSession, error) {
	if len(token) != challengeTokenLen {
		return auth.User{}, auth.IssuedSession{}, auth.ErrInvalidMFAToken
	}
	// The attempt is counted, and committed, before the code is looked at.
	ch, err := s.d.Store.ClaimMFAChallengeAttempt(ctx, hashToken(token), s.now(), s.cfg.MaxAttempts)
	if errors.Is(err, auth.ErrNotFound) {
		return auth.User{}, auth.IssuedSession{}, auth.ErrInvalidMFAToken
	}
	if err != nil {
		return auth.User{}, auth.IssuedSession{}, fmt.Errorf("mfa: claim challenge: %w", err)
	}
	if s.d.Lockout != nil {
		// The account's attempt too, before the code is looked at: a locked
		// account refuses a right code and a wrong one alike.
		err := s.d.Lockout.Attempt(ctx, ch.UserID)
		if errors.Is(err, auth.ErrNotFound) {
			return auth.User{}, auth.IssuedSession{}, auth.ErrInvalidMFAToken // the user is gone
		}
		if err != nil {
			return auth.User{}, auth.IssuedSession{}, err
		}
	}
	var u auth.User
	var issued auth.IssuedSession
	// The code, the token and the session are spent together or not at all;
	// the account's failures are forgotten with them.
	err = s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		if err := s.useCode(ctx, ch.UserID, code); err != nil {
			return err
		}
		if s.d.Lockout != nil {
			if err := s.d.Lockout.Reset(ctx, ch.UserID); err != nil {
				return err
			}
		}
		err := s.d.Store.ConsumeMFAChallenge(ctx, ch.ID, s.now())
		if errors.Is(err, auth.ErrNotFound) { // a racing request used it first
			return auth.ErrInvalidMFAToken
		}
		if err != nil {
			return fmt.Errorf("mfa: consume challenge: %w", err)
		}
		if u, err = s.d.Users.FindUserByID(ctx, ch.UserID); err != nil {
			return fmt.Errorf("mfa: find user: %w", err)
		}
		issued, err = s.d.Sessions.Start(ctx, u.ID, c, auth.MethodPassword, auth.MethodOTP)
		return err
	})
	if errors.Is(err, auth.ErrInvalidCode) {
		// Recorded on its own: the transaction it failed in rolled back.
		failed := map[string]string{"reason": "second_factor"}
		if err := s.record(auth.WithClient(ctx, c), ch.UserID, ports.EventLoginFailed, failed); err != nil {
			return auth.User{}, auth.IssuedSession{}, err
		}
		if s.d.Lockout != nil {
			if err := s.d.Lockout.Fail(context.WithoutCancel(ctx), ch.UserID); err != nil {
				return auth.User{}, auth.IssuedSession{}, err
			}
		}
		return auth.User{}, auth.IssuedSession{}, ErrLoginCode
	}
	if err != nil {
		if s.d.Lockout != nil {
			// Undecided (a racing request used the token, or an error): the
			// attempt is taken back; a claim that cannot be is left for the
			// run's window to forget.
			_ = s.d.Lockout.Release(context.WithoutCancel(ctx), ch.UserID)
		}
		return auth.User{}, auth.IssuedSession{}, err
	}
	return u, issued, nil
}

// Cleanup deletes login challenges that expired more than an hour ago: they
// can no longer be used, and each login with a second factor leaves one.
func (s *Service) Cleanup(ctx context.Context) (int, error) {
	n, err := s.d.Store.DeleteMFAChallengesBefore(ctx, s.now().Add(-time.Hour))
	if err != nil {
		return 0, fmt.Errorf("mfa: cleanup: %w", err)
	}
	return n, nil
}
