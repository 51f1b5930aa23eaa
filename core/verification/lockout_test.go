package verification_test

import (
	"crypto/rand"
	"errors"
	"net/netip"
	"testing"
	"time"

	"authd/core/auth"
	"authd/core/throttle"
	"authd/core/verification"
	"authd/ports"
)

// with rebuilds b's service with lockout and cfg on the same database.
func (b testBundle) with(lockout ports.AccountLockout, cfg verification.Config) testBundle {
	cfg.AppURL, cfg.VerifyTTL, cfg.ResetTTL = appURL, 24*time.Hour, time.Hour
	b.svc = verification.New(verification.Deps{Users: b.db, Verifications: b.db, Requests: b.db, Changes: b.db, Tx: b.db,
		Jobs: b.db, Policy: policy{b.hasher}, Sessions: revoker{b.db, b.clock}, Clock: b.clock, Random: rand.Reader,
		Lockout: lockout}, cfg)
	return b
}

func TestPasswordResetAndTheLockout(t *testing.T) {
	t.Parallel()
	b := setup(t)
	lockout := throttle.New(throttle.Deps{Store: b.db, Users: b.db, Tx: b.db, Jobs: b.db, Clock: b.clock},
		throttle.Config{Threshold: 1, DelayAfter: 1, AppURL: appURL})
	b = b.with(lockout, verification.Config{})
	u := b.user(t, "locked@example.com")
	must(t, lockout.Attempt(ctx, u.ID))
	must(t, lockout.Fail(ctx, u.ID))
	wantErr(t, lockout.Attempt(ctx, u.ID), auth.ErrRateLimited)

	// The lock blocks neither the request nor the reset, and the reset lifts it.
	must(t, b.svc.ResetPassword(ctx, b.resetToken(t, u), "a brand new password"))
	if !b.passwordIs(t, u.ID, "a brand new password") {
		t.Fatal("the reset did not set the password")
	}
	if err := lockout.Attempt(ctx, u.ID); err != nil {
		t.Fatalf("an attempt after the reset = %v, want the lock lifted", err)
	}
}

func TestResetPerIPLimitIsConfigurable(t *testing.T) {
	t.Parallel()
	ip := netip.MustParseAddr("198.51.100.20")
	t.Run("Tighter", func(t *testing.T) {
		t.Parallel()
		b := setup(t).with(nil, verification.Config{ResetPerIP: 2, ResetPerIPWindow: time.Minute})
		must(t, b.svc.ForgotPassword(ctx, "a@example.com", ip))
		b.clock.Advance(10 * time.Second)
		must(t, b.svc.ForgotPassword(ctx, "b@example.com", ip))
		err := b.svc.ForgotPassword(ctx, "c@example.com", ip)
		var e *auth.Error
		if !errors.As(err, &e) || e.Code != "rate_limited" || e.RetryAfter != 50*time.Second {
			t.Fatalf("third request = %v, want rate_limited after 50s", err)
		}
	})
	t.Run("Off", func(t *testing.T) {
		t.Parallel()
		b := setup(t).with(nil, verification.Config{ResetPerIP: -1})
		for range 30 {
			must(t, b.svc.ForgotPassword(ctx, "nobody@example.com", ip))
		}
	})
}
