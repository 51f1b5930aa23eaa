package mfa

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
)

// RecoveryCodeCount is how many recovery codes a confirmation hands out.
const RecoveryCodeCount = 10

// recoveryEncoding is lowercase base32: no 0/1/8/9, so nothing reads as O, l
// or B, and case does not matter when typed.
var recoveryEncoding = base32.NewEncoding(recoveryAlphabet).WithPadding(base32.NoPadding)

const recoveryAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// recoveryChars is a code's length without dashes: 12 characters, 60 bits.
const recoveryChars = 12

// newRecoveryCode returns a code shaped xxxx-xxxx-xxxx.
func (s *Service) newRecoveryCode() (string, error) {
	b, err := s.random(8) // 64 bits, of which the first 60 are used
	if err != nil {
		return "", err
	}
	c := recoveryEncoding.EncodeToString(b)[:recoveryChars]
	return c[0:4] + "-" + c[4:8] + "-" + c[8:12], nil
}

// canonicalRecoveryCode strips what people add when they type a code
// (dashes, spaces, capitals); ok is false when what is left cannot be one.
func canonicalRecoveryCode(code string) (string, bool) {
	c := strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(code))
	if len(c) != recoveryChars {
		return "", false
	}
	for _, r := range c {
		if !strings.ContainsRune(recoveryAlphabet, r) {
			return "", false
		}
	}
	return c, true
}

// hashRecoveryCode is the stored form. A plain SHA-256 suffices: the codes
// carry 60 random bits, beyond guessing offline.
func hashRecoveryCode(canonical string) []byte {
	sum := sha256.Sum256([]byte(canonical))
	return sum[:]
}

func (s *Service) replaceRecoveryCodes(ctx context.Context, userID uuid.UUID, now time.Time) ([]string, error) {
	codes := make([]string, RecoveryCodeCount)
	hashes := make([][]byte, RecoveryCodeCount)
	for i := range codes {
		c, err := s.newRecoveryCode()
		if err != nil {
			return nil, err
		}
		canonical, _ := canonicalRecoveryCode(c)
		codes[i], hashes[i] = c, hashRecoveryCode(canonical)
	}
	if err := s.d.Store.ReplaceRecoveryCodes(ctx, userID, hashes, now); err != nil {
		return nil, fmt.Errorf("mfa: store recovery codes: %w", err)
	}
	return codes, nil
}

// UseTOTP accepts a code of the user's confirmed TOTP within one step of now
// and for a step later than the last one accepted, and records its step.
// auth.ErrInvalidCode otherwise, a replay included.
func (s *Service) UseTOTP(ctx context.Context, userID uuid.UUID, code string) error {
	cred, err := s.d.Store.FindTOTPCredential(ctx, userID)
	if errors.Is(err, auth.ErrNotFound) {
		return auth.ErrInvalidCode
	}
	if err != nil {
		return fmt.Errorf("mfa: find credential: %w", err)
	}
	if cred.ConfirmedAt == nil {
		return auth.ErrInvalidCode
	}
	secret, err := s.open(userID, cred.SealedSecret)
	if err != nil {
		return err
	}
	step, ok := s.d.TOTP.Match(secret, code, s.d.Clock.Now())
	if !ok {
		return auth.ErrInvalidCode
	}
	// Conditional on the stored step being earlier: of two requests racing
	// with one code, only one gets past this.
	err = s.d.Store.UseTOTPStep(ctx, userID, step)
	if errors.Is(err, auth.ErrNotFound) {
		return auth.ErrInvalidCode
	}
	if err != nil {
		return fmt.Errorf("mfa: use totp step: %w", err)
	}
	return nil
}

// UseRecoveryCode consumes one of the user's unused recovery codes;
// auth.ErrInvalidCode for an unknown or used one.
func (s *Service) UseRecoveryCode(ctx context.Context, userID uuid.UUID, code string) error {
	canonical, ok := canonicalRecoveryCode(code)
	if !ok {
		return auth.ErrInvalidCode
	}
	err := s.d.Store.UseRecoveryCode(ctx, userID, hashRecoveryCode(canonical), s.now())
	if errors.Is(err, auth.ErrNotFound) {
		return auth.ErrInvalidCode
	}
	if err != nil {
		return fmt.Errorf("mfa: use recovery code: %w", err)
	}
	return nil
}

// RecoveryCodesLeft counts the user's unused recovery codes.
func (s *Service) RecoveryCodesLeft(ctx context.Context, userID uuid.UUID) (int, error) {
	n, err := s.d.Store.CountRecoveryCodes(ctx, userID)
	if err != nil {
		return 0, fmt.Errorf("mfa: count recovery codes: %w", err)
	}
	return n, nil
}

// useCode takes a TOTP code (six digits) or a recovery code.
func (s *Service) useCode(ctx context.Context, userID uuid.UUID, code string) error {
	if isTOTPShaped(code) {
		return s.UseTOTP(ctx, userID, code)
	}
	return s.UseRecoveryCode(ctx, userID, code)
}

func isTOTPShaped(code string) bool {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return false
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
