package accounts_test

import (
	"context"
	"errors"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/core/accounts"
	"authd/core/auth"
	"authd/core/throttle"
	"authd/ports"
)

// countingHasher counts verifications, to prove what was never checked.
type countingHasher struct {
	ports.PasswordHasher
	verified atomic.Int32
}

func (h *countingHasher) Verify(password, hash string) (bool, bool, error) {
	h.verified.Add(1)
	return h.PasswordHasher.Verify(password, hash)
}

// resetFails resets the run, then fails as a commit would: the session and
// the reset must roll back together.
type resetFails struct{ ports.AccountLockout }

func (l resetFails) Reset(ctx context.Context, userID uuid.UUID) error {
	if err := l.AccountLockout.Reset(ctx, userID); err != nil {
		return err
	}
	return errLockoutStore
}

var errLockoutStore = errors.New("lockout store down")

// setupLockout is setup with a lockout on the memory database: lock after
// three failures, no delay before it.
func setupLockout(t *testing.T, opts ...func(*accounts.Deps)) (testBundle, *countingHasher) {
	t.Helper()
	var h *countingHasher
	b := setup(t, append([]func(*accounts.Deps){func(d *accounts.Deps) {
		h = &countingHasher{PasswordHasher: d.Hasher}
		d.Hasher = h
		app, _ := url.Parse("https://app.example.com")
		d.Lockout = throttle.New(throttle.Deps{Store: d.Users.(ports.ThrottleStore), Users: d.Users, Tx: d.Tx, Jobs: d.Jobs,
			Clock: d.Clock}, throttle.Config{Threshold: 3, DelayAfter: 3, AppURL: app})
	}}, opts...)...)
	if _, _, err := b.svc.Signup(context.Background(), "guarded@example.com", goodPassword, client); err != nil {
		t.Fatal(err)
	}
	return b, h
}

func TestLoginLockout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	wrong := func(t *testing.T, b testBundle, n int) {
		t.Helper()
		for i := range n {
			if _, _, err := b.svc.Login(ctx, "guarded@example.com", "not the password", client); !errors.Is(err, auth.ErrInvalidCredentials) {
				t.Fatalf("wrong password %d = %v, want invalid_credentials", i+1, err)
			}
		}
	}
	t.Run("LockedAccountRefusesTheRightPasswordWithoutCheckingIt", func(t *testing.T) {
		t.Parallel()
		b, h := setupLockout(t)
		wrong(t, b, 3)
		before := h.verified.Load()
		_, _, right := b.svc.Login(ctx, "guarded@example.com", goodPassword, client)
		_, _, bad := b.svc.Login(ctx, "guarded@example.com", "not the password", client)
		for _, err := range []error{right, bad} {
			var e *auth.Error
			if !errors.As(err, &e) || e.Code != "rate_limited" || e.RetryAfter != 15*time.Minute || err.Error() != right.Error() {
				t.Fatalf("login while locked = %v, %v; want the same rate_limited, retry after 15m", right, bad)
			}
		}
		if n := h.verified.Load() - before; n != 0 {
			t.Fatalf("%d passwords verified while locked, want none", n)
		}
		locked := 0
		for _, j := range b.db.Jobs() {
			if e, ok := j.Args.(ports.SendEmailJob); ok && e.Email == ports.EmailAccountLocked {
				locked++
			}
		}
		if locked != 1 {
			t.Fatalf("%d locked emails, want 1", locked)
		}
		b.clock.Advance(15 * time.Minute)
		if _, _, err := b.svc.Login(ctx, "guarded@example.com", goodPassword, client); err != nil {
			t.Fatalf("after the lock: %v", err)
		}
	})
	t.Run("SignInResetsTheRun", func(t *testing.T) {
		t.Parallel()
		b, _ := setupLockout(t)
		wrong(t, b, 2)
		if _, _, err := b.svc.Login(ctx, "guarded@example.com", goodPassword, client); err != nil {
			t.Fatal(err)
		}
		wrong(t, b, 2) // a third would lock, had the sign-in not reset the run
		if _, _, err := b.svc.Login(ctx, "guarded@example.com", goodPassword, client); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("SignInThatFailsToCommitKeepsTheRunAndStartsNoSession", func(t *testing.T) {
		t.Parallel()
		b, _ := setupLockout(t, func(d *accounts.Deps) { d.Lockout = resetFails{d.Lockout} })
		wrong(t, b, 2)
		if _, _, err := b.svc.Login(ctx, "guarded@example.com", goodPassword, client); !errors.Is(err, errLockoutStore) {
			t.Fatalf("sign-in whose reset fails = %v, want that failure", err)
		}
		u, err := b.db.FindUserByEmail(ctx, "guarded@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if list, err := b.sessions.List(ctx, u.ID); err != nil || len(list) != 1 {
			t.Fatalf("sessions = %d, %v; want only the signup's: the failed sign-in's rolled back", len(list), err)
		}
		wrong(t, b, 1)
		if _, _, err := b.svc.Login(ctx, "guarded@example.com", goodPassword, client); !errors.Is(err, auth.ErrRateLimited) {
			t.Fatalf("after three failures around a failed sign-in = %v, want rate_limited: its reset rolled back", err)
		}
	})
	t.Run("RightPasswordWithASecondFactorDueKeepsEarlierFailures", func(t *testing.T) {
		t.Parallel()
		b, _ := setupLockout(t, func(d *accounts.Deps) { d.SecondFactor = &secondFactor{} })
		wrong(t, b, 2)
		for range 5 {
			var mfa *accounts.MFARequiredError
			if _, _, err := b.svc.Login(ctx, "guarded@example.com", goodPassword, client); !errors.As(err, &mfa) {
				t.Fatalf("right password = %v, want the second factor asked for", err)
			}
		}
		wrong(t, b, 1)
		if _, _, err := b.svc.Login(ctx, "guarded@example.com", goodPassword, client); !errors.Is(err, auth.ErrRateLimited) {
			t.Fatalf("after three failures around right passwords = %v, want rate_limited: a password alone must not reset the run", err)
		}
	})
	t.Run("UnknownAddressIsNeverLocked", func(t *testing.T) {
		t.Parallel()
		b, _ := setupLockout(t)
		for range 10 {
			if _, _, err := b.svc.Login(ctx, "nobody@example.com", goodPassword, client); !errors.Is(err, auth.ErrInvalidCredentials) {
				t.Fatalf("unknown address = %v, want invalid_credentials", err)
			}
		}
	})
}
