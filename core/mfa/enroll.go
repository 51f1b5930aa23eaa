package mfa

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// secretBytes is the TOTP secret's size: 160 bits, as RFC 4226 recommends.
const secretBytes = 20

// Enrollment is a new TOTP secret, as an authenticator app takes it.
type Enrollment struct {
	Secret string // base32, to type in
	URL    string // otpauth://, to scan
}

// Enroll starts TOTP enrollment with a new secret, pending until Confirm. A
// pending secret is replaced. auth.ErrAlreadyEnrolled when TOTP is on;
// auth.ErrEmailUnverified when the user's address is not verified, since a
// second factor on an unproven address would lock its real owner out.
func (s *Service) Enroll(ctx context.Context, u auth.User) (Enrollment, error) {
	if !u.EmailVerified {
		return Enrollment{}, auth.ErrEmailUnverified
	}
	secret, err := s.random(secretBytes)
	if err != nil {
		return Enrollment{}, err
	}
	encoded, url, err := s.d.TOTP.Key(secret, u.Email)
	if err != nil {
		return Enrollment{}, fmt.Errorf("mfa: key: %w", err)
	}
	sealed, err := s.seal(u.ID, secret)
	if err != nil {
		return Enrollment{}, err
	}
	err = s.d.Store.PutTOTPCredential(ctx, ports.TOTPCredential{UserID: u.ID, SealedSecret: sealed, CreatedAt: s.now()})
	if errors.Is(err, auth.ErrAlreadyEnrolled) {
		return Enrollment{}, auth.ErrAlreadyEnrolled
	}
	if err != nil {
		return Enrollment{}, fmt.Errorf("mfa: enroll: %w", err)
	}
	return Enrollment{Secret: encoded, URL: url}, nil
}

// Confirm turns TOTP on with a first valid code and returns ten recovery
// codes, shown this once. auth.ErrInvalidCode for a wrong code or when no
// enrollment is pending; auth.ErrAlreadyEnrolled when TOTP is already on.
func (s *Service) Confirm(ctx context.Context, userID uuid.UUID, code string) ([]string, error) {
	var codes []string
	err := s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		cred, err := s.d.Store.FindTOTPCredential(ctx, userID)
		if errors.Is(err, auth.ErrNotFound) {
			return auth.ErrInvalidCode.WithMessage("Start TOTP enrollment first.")
		}
		if err != nil {
			return fmt.Errorf("mfa: confirm: %w", err)
		}
		if cred.ConfirmedAt != nil {
			return auth.ErrAlreadyEnrolled
		}
		secret, err := s.open(userID, cred.SealedSecret)
		if err != nil {
			return err
		}
		now := s.now()
		step, ok := s.d.TOTP.Match(secret, code, now)
		if !ok {
			return auth.ErrInvalidCode
		}
		// The confirming code's step counts as used: it cannot also log in.
		err = s.d.Store.ConfirmTOTPCredential(ctx, userID, step, now)
		if errors.Is(err, auth.ErrNotFound) { // confirmed by a racing request
			return auth.ErrAlreadyEnrolled
		}
		if err != nil {
			return fmt.Errorf("mfa: confirm: %w", err)
		}
		if codes, err = s.replaceRecoveryCodes(ctx, userID, now); err != nil {
			return err
		}
		return s.record(ctx, userID, ports.EventMFAEnabled, map[string]string{"method": "totp"})
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// Disable turns TOTP off and drops the recovery codes. Disabling when TOTP
// is off is not an error: the outcome the caller wants holds.
func (s *Service) Disable(ctx context.Context, userID uuid.UUID) error {
	return s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		on, err := s.TOTPEnabled(ctx, userID)
		if err != nil {
			return err
		}
		if err := s.d.Store.DeleteTOTPCredential(ctx, userID); err != nil {
			return fmt.Errorf("mfa: disable: %w", err)
		}
		if !on {
			return nil // nothing was on: nothing to record
		}
		return s.record(ctx, userID, ports.EventMFADisabled, map[string]string{"method": "totp"})
	})
}

// TOTPEnabled reports whether the user has confirmed TOTP.
func (s *Service) TOTPEnabled(ctx context.Context, userID uuid.UUID) (bool, error) {
	cred, err := s.d.Store.FindTOTPCredential(ctx, userID)
	if errors.Is(err, auth.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mfa: find credential: %w", err)
	}
	return cred.ConfirmedAt != nil, nil
}
