package mfa_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"authd/adapters/totp"
	"authd/core/auth"
)

func TestTOTPCodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("OneStepEitherSideIsAccepted", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		secret, _ := b.enable(t, b.user) // uses the current step
		b.clock.Advance(10 * totp.Period)
		now := b.clock.Now()
		for _, d := range []time.Duration{-totp.Period, 0, totp.Period} { // later steps each time
			if err := b.svc.UseTOTP(ctx, b.user.ID, totp.Code(secret, now.Add(d))); err != nil {
				t.Fatalf("code of step %+v: %v", d, err)
			}
		}
	})
	t.Run("TwoStepsAwayIsRefused", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		secret, _ := b.enable(t, b.user)
		b.clock.Advance(10 * totp.Period)
		now := b.clock.Now()
		for _, d := range []time.Duration{-2 * totp.Period, 2 * totp.Period} {
			wantErr(t, b.svc.UseTOTP(ctx, b.user.ID, totp.Code(secret, now.Add(d))), auth.ErrInvalidCode)
		}
	})
	t.Run("ReplayedCodeIsRefused", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		secret, _ := b.enable(t, b.user)
		// The confirming code is spent: it cannot be used again right away.
		confirming := totp.Code(secret, b.clock.Now())
		wantErr(t, b.svc.UseTOTP(ctx, b.user.ID, confirming), auth.ErrInvalidCode)
		b.clock.Advance(totp.Period)
		code := totp.Code(secret, b.clock.Now())
		if err := b.svc.UseTOTP(ctx, b.user.ID, code); err != nil {
			t.Fatal(err)
		}
		b.clock.Advance(5 * time.Second) // the same code is still current
		wantErr(t, b.svc.UseTOTP(ctx, b.user.ID, code), auth.ErrInvalidCode)
		// An earlier step, still inside the skew, is refused after a later one.
		next := totp.Code(secret, b.clock.Now().Add(totp.Period))
		if err := b.svc.UseTOTP(ctx, b.user.ID, next); err != nil {
			t.Fatal(err)
		}
		wantErr(t, b.svc.UseTOTP(ctx, b.user.ID, code), auth.ErrInvalidCode)
	})
	t.Run("PendingEnrollmentDoesNotAcceptCodes", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		secret := b.enroll(t, b.user)
		wantErr(t, b.svc.UseTOTP(ctx, b.user.ID, totp.Code(secret, b.clock.Now())), auth.ErrInvalidCode)
	})
}

func TestRecoveryCodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("EachWorksOnce", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, codes := b.enable(t, b.user)
		if err := b.svc.UseRecoveryCode(ctx, b.user.ID, codes[0]); err != nil {
			t.Fatal(err)
		}
		wantErr(t, b.svc.UseRecoveryCode(ctx, b.user.ID, codes[0]), auth.ErrInvalidCode)
		if err := b.svc.UseRecoveryCode(ctx, b.user.ID, codes[1]); err != nil {
			t.Fatalf("another code after the first was spent: %v", err)
		}
		if n, _ := b.svc.RecoveryCodesLeft(ctx, b.user.ID); n != 8 {
			t.Fatalf("codes left = %d, want 8", n)
		}
	})
	t.Run("TypedWithoutDashesOrInCapitalsStillMatches", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, codes := b.enable(t, b.user)
		if err := b.svc.UseRecoveryCode(ctx, b.user.ID, " "+strings.ToUpper(strings.ReplaceAll(codes[2], "-", ""))+" "); err != nil {
			t.Fatal(err)
		}
		wantErr(t, b.svc.UseRecoveryCode(ctx, b.user.ID, codes[2]), auth.ErrInvalidCode)
	})
	t.Run("AreTheUsersOwn", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, codes := b.enable(t, b.user)
		other := b.newUser(t, "other@example.com")
		b.enable(t, other)
		wantErr(t, b.svc.UseRecoveryCode(ctx, other.ID, codes[0]), auth.ErrInvalidCode)
		wantErr(t, b.svc.UseRecoveryCode(ctx, b.user.ID, "not-a-code"), auth.ErrInvalidCode)
	})
}
