package stepup_test

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"authd/adapters/memory"
	"authd/core/auth"
	"authd/core/stepup"
	"authd/core/throttle"
)

func TestStepUpsCountTowardTheLockout(t *testing.T) {
	t.Parallel()
	withLockout := func(d *stepup.Deps) {
		db := d.Attempts.(*memory.DB)
		app, _ := url.Parse("https://app.example.com")
		d.Lockout = throttle.New(throttle.Deps{Store: db, Users: db, Tx: d.Tx, Jobs: db, Clock: d.Clock},
			throttle.Config{Threshold: 3, DelayAfter: 3, AppURL: app})
	}
	wrong := stepup.Proof{Password: "not the password"}
	t.Run("WrongProofsOnAnySessionLockTheAccount", func(t *testing.T) {
		t.Parallel()
		b := setup(t, withLockout)
		a, c := b.login(t), b.login(t)
		for _, tok := range []string{a, a, c} {
			if _, err := b.stepUp(t, tok, wrong); !errors.Is(err, auth.ErrInvalidCredentials) {
				t.Fatalf("wrong password = %v, want invalid_credentials", err)
			}
		}
		_, err := b.stepUp(t, b.login(t), stepup.Proof{Password: password})
		var e *auth.Error
		if !errors.As(err, &e) || e.Code != "rate_limited" || e.RetryAfter != 15*time.Minute {
			t.Fatalf("right password on a fresh session while locked = %v, want rate_limited for 15m", err)
		}
	})
	t.Run("ARightProofEndsTheRun", func(t *testing.T) {
		t.Parallel()
		b := setup(t, withLockout)
		tok := b.login(t)
		for range 2 {
			if _, err := b.stepUp(t, tok, wrong); !errors.Is(err, auth.ErrInvalidCredentials) {
				t.Fatal(err)
			}
		}
		el, err := b.stepUp(t, tok, stepup.Proof{Password: password})
		if err != nil {
			t.Fatal(err)
		}
		tok = el.Session.Token
		for range 2 {
			if _, err := b.stepUp(t, tok, wrong); !errors.Is(err, auth.ErrInvalidCredentials) {
				t.Fatal(err)
			}
		}
		if _, err := b.stepUp(t, tok, stepup.Proof{Password: password}); err != nil {
			t.Fatalf("the third attempt of a new run = %v", err)
		}
	})
}
