package throttle_test

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/adapters/memory"
	"authd/core/auth"
	"authd/core/throttle"
	"authd/ports"
)

type testBundle struct {
	db     *memory.DB
	clock  *memory.Clock
	svc    *throttle.Service
	events *events
	user   auth.User
}

// events is a ports.ActivityRecorder fake that keeps the kinds it was told.
type events struct {
	mu    sync.Mutex
	kinds []ports.EventKind
}

func (e *events) Record(_ context.Context, _ uuid.UUID, kind ports.EventKind, _ map[string]string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.kinds = append(e.kinds, kind)
	return nil
}

var start = time.Date(2026, 6, 2, 14, 5, 0, 0, time.UTC)

func setup(t *testing.T, cfg throttle.Config) testBundle {
	t.Helper()
	db := memory.New()
	clock := memory.NewClock(start)
	u := auth.User{ID: uuid.New(), Email: "owner@example.com", CreatedAt: start, UpdatedAt: start}
	if err := db.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	if cfg.AppURL == nil {
		cfg.AppURL, _ = url.Parse("https://app.example.com/account")
	}
	ev := &events{}
	svc := throttle.New(throttle.Deps{Store: db, Users: db, Tx: db, Jobs: db, Clock: clock, Activity: ev}, cfg)
	return testBundle{db: db, clock: clock, svc: svc, events: ev, user: u}
}

var ctx = context.Background()

// fail makes one wrong attempt, which must be let through.
func (b testBundle) fail(t *testing.T) {
	t.Helper()
	if err := b.svc.Attempt(ctx, b.user.ID); err != nil {
		t.Fatalf("attempt at %v refused: %v", b.clock.Now().Sub(start), err)
	}
	if err := b.svc.Fail(ctx, b.user.ID); err != nil {
		t.Fatal(err)
	}
}

// refused asserts that an attempt now is refused with retry after want.
func (b testBundle) refused(t *testing.T, want time.Duration) {
	t.Helper()
	err := b.svc.Attempt(ctx, b.user.ID)
	var e *auth.Error
	if !errors.As(err, &e) || e.Code != "rate_limited" || e.RetryAfter != want {
		t.Fatalf("attempt at +%v = %v (retry after %v); want rate_limited, retry after %v",
			b.clock.Now().Sub(start), err, retryAfter(err), want)
	}
}

func retryAfter(err error) time.Duration {
	var e *auth.Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

func (b testBundle) lockedEmails() int {
	n := 0
	for _, j := range b.db.Jobs() {
		if j.Args == (ports.SendEmailJob{UserID: b.user.ID, Email: ports.EmailAccountLocked}) {
			n++
		}
	}
	return n
}

func TestDelayScheduleAndLock(t *testing.T) {
	t.Parallel()
	t.Run("FiveFreeThenDoublingDelaysThenALockAtTen", func(t *testing.T) {
		t.Parallel()
		b := setup(t, throttle.Config{})
		for range 5 {
			b.fail(t)
		}
		// After the fifth failure, each wait is counted from the last
		// failure: 1s, 2s, 4s, 8s, 16s.
		for _, d := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second} {
			b.refused(t, d)
			b.clock.Advance(d - time.Microsecond)
			b.refused(t, time.Microsecond)
			b.clock.Advance(time.Microsecond)
			b.fail(t)
		}
		if n := b.lockedEmails(); n != 1 {
			t.Fatalf("%d locked emails after the tenth failure, want 1", n)
		}
		b.refused(t, 15*time.Minute)
		b.clock.Advance(15*time.Minute - time.Microsecond)
		b.refused(t, time.Microsecond)
		if f, _ := b.db.FindAccountFailures(ctx, b.user.ID); f.LockedUntil == nil ||
			!f.LockedUntil.Equal(start.Add(31*time.Second+15*time.Minute)) {
			t.Fatalf("stored run = %+v, want locked until 15m after the tenth failure", f)
		}
		// The lock ends exactly at its end, and the run starts over: five
		// free attempts again, no second email.
		b.clock.Advance(time.Microsecond)
		for range 5 {
			b.fail(t)
		}
		b.refused(t, time.Second)
		if n := b.lockedEmails(); n != 1 {
			t.Fatalf("%d locked emails, want still 1", n)
		}
		if len(b.events.kinds) != 1 || b.events.kinds[0] != ports.EventAccountLocked {
			t.Fatalf("events %v, want one account_locked", b.events.kinds)
		}
	})
	t.Run("RefusedAttemptsNeitherCountNorProlongTheLock", func(t *testing.T) {
		t.Parallel()
		b := setup(t, throttle.Config{Threshold: 3, DelayAfter: 3, LockFor: time.Minute})
		for range 3 {
			b.fail(t)
		}
		for range 50 {
			b.refused(t, time.Minute)
		}
		b.clock.Advance(time.Minute)
		b.fail(t)
		b.fail(t)
		if err := b.svc.Attempt(ctx, b.user.ID); err != nil {
			t.Fatalf("third attempt of the new run refused: %v", err)
		}
	})
	t.Run("DelayIsCappedAtTheLockDuration", func(t *testing.T) {
		t.Parallel()
		b := setup(t, throttle.Config{Threshold: 30, DelayAfter: 1, Delay: time.Second, LockFor: 10 * time.Second})
		b.fail(t)
		waits := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
		for _, d := range waits {
			b.refused(t, d)
			b.clock.Advance(d)
			b.fail(t)
		}
	})
	t.Run("NoDelayBeforeTheLockWhenDelayAfterIsTheThreshold", func(t *testing.T) {
		t.Parallel()
		b := setup(t, throttle.Config{Threshold: 4, DelayAfter: 4})
		for range 4 {
			b.fail(t)
		}
		b.refused(t, 15*time.Minute)
	})
}

func TestRunsEnd(t *testing.T) {
	t.Parallel()
	t.Run("ResetForgetsEveryFailureAndLiftsTheLock", func(t *testing.T) {
		t.Parallel()
		b := setup(t, throttle.Config{Threshold: 3, DelayAfter: 2})
		b.fail(t)
		b.fail(t)
		b.clock.Advance(time.Second)
		b.fail(t)
		b.refused(t, 15*time.Minute)
		if err := b.svc.Reset(ctx, b.user.ID); err != nil {
			t.Fatal(err)
		}
		b.fail(t)
		b.fail(t)
		b.refused(t, time.Second)
	})
	t.Run("ReleaseTakesBackOnlyItsOwnAttempt", func(t *testing.T) {
		t.Parallel()
		b := setup(t, throttle.Config{Threshold: 10, DelayAfter: 3})
		b.fail(t)
		b.fail(t)
		// A right password with a second factor due: taken back, but the
		// two failures before it stay.
		for range 5 {
			if err := b.svc.Attempt(ctx, b.user.ID); err != nil {
				t.Fatal(err)
			}
			if err := b.svc.Release(ctx, b.user.ID); err != nil {
				t.Fatal(err)
			}
		}
		b.fail(t)
		b.refused(t, time.Second)
	})
	t.Run("ReleasingTheOnlyAttemptLeavesNoRun", func(t *testing.T) {
		t.Parallel()
		b := setup(t, throttle.Config{})
		if err := b.svc.Attempt(ctx, b.user.ID); err != nil {
			t.Fatal(err)
		}
		if err := b.svc.Release(ctx, b.user.ID); err != nil {
			t.Fatal(err)
		}
		if n, _ := b.db.DeleteAccountFailuresBefore(ctx, start.Add(100*365*24*time.Hour)); n != 0 {
			t.Fatalf("%d runs left after a released attempt, want none", n)
		}
	})
	t.Run("AQuietWindowForgetsTheRun", func(t *testing.T) {
		t.Parallel()
		b := setup(t, throttle.Config{Threshold: 3, DelayAfter: 2, Window: time.Hour})
		b.fail(t)
		b.fail(t)
		b.clock.Advance(time.Hour - time.Microsecond)
		b.fail(t) // the third failure within the window locks
		b.refused(t, 15*time.Minute)

		c := setup(t, throttle.Config{Threshold: 3, DelayAfter: 2, Window: time.Hour})
		c.fail(t)
		c.fail(t)
		c.clock.Advance(time.Hour)
		c.fail(t) // a new run's first
		c.fail(t)
		c.refused(t, time.Second)
	})
	t.Run("AttemptsThatNeverReportDoNotLockForever", func(t *testing.T) {
		t.Parallel()
		b := setup(t, throttle.Config{Threshold: 3, DelayAfter: 3, LockFor: 5 * time.Minute})
		// Three claims whose checks never told their outcome (the process
		// stopped): further attempts wait, then the run is forgotten.
		for range 3 {
			if err := b.svc.Attempt(ctx, b.user.ID); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.svc.Attempt(ctx, b.user.ID); !errors.Is(err, auth.ErrRateLimited) {
			t.Fatalf("attempt beyond the threshold while three are out = %v, want rate_limited", err)
		}
		b.clock.Advance(5 * time.Minute)
		if err := b.svc.Attempt(ctx, b.user.ID); err != nil {
			t.Fatalf("after the lock duration: %v", err)
		}
		if n := b.lockedEmails(); n != 0 {
			t.Fatalf("%d locked emails without a failure, want 0", n)
		}
	})
	t.Run("AFailureAfterAConcurrentResetStartsTheNewRun", func(t *testing.T) {
		t.Parallel()
		b := setup(t, throttle.Config{Threshold: 3, DelayAfter: 2})
		if err := b.svc.Attempt(ctx, b.user.ID); err != nil {
			t.Fatal(err)
		}
		if err := b.svc.Reset(ctx, b.user.ID); err != nil { // the owner signed in meanwhile
			t.Fatal(err)
		}
		if err := b.svc.Fail(ctx, b.user.ID); err != nil {
			t.Fatal(err)
		}
		b.fail(t)
		b.refused(t, time.Second)
	})
}

func TestConcurrentGuessesStayWithinTheBounds(t *testing.T) {
	t.Parallel()
	b := setup(t, throttle.Config{})
	const n = 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	claimed := 0
	for range n {
		wg.Go(func() {
			if err := b.svc.Attempt(ctx, b.user.ID); err != nil {
				if !errors.Is(err, auth.ErrRateLimited) {
					t.Error(err)
				}
				return
			}
			mu.Lock()
			claimed++
			mu.Unlock()
			if err := b.svc.Fail(ctx, b.user.ID); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// At one instant only the five free attempts are let through: each
	// later one would have to wait after the fifth failure.
	if claimed != 5 {
		t.Fatalf("%d of %d simultaneous guesses were checked, want 5", claimed, n)
	}
}

func TestExactlyOneEmailPerLockUnderConcurrency(t *testing.T) {
	t.Parallel()
	b := setup(t, throttle.Config{Threshold: 5, DelayAfter: 5})
	for range 4 {
		b.fail(t)
	}
	// Five attempts out at once (the threshold's and beyond): the last
	// allowed claim is the fifth; every failure after it finds the lock set.
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			if err := b.svc.Attempt(ctx, b.user.ID); err == nil {
				_ = b.svc.Fail(ctx, b.user.ID)
			}
		})
	}
	wg.Wait()
	for range 3 {
		_ = b.svc.Fail(ctx, b.user.ID) // late reports of attempts already out
	}
	if n := b.lockedEmails(); n != 1 {
		t.Fatalf("%d locked emails, want exactly 1", n)
	}
}

func TestUnknownUser(t *testing.T) {
	t.Parallel()
	b := setup(t, throttle.Config{})
	if err := b.svc.Attempt(ctx, uuid.New()); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("attempt for no user = %v, want not_found", err)
	}
}

func TestNewRefusesAnInconsistentPolicy(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]throttle.Config{
		"DelayAfterBeyondThreshold": {Threshold: 3, DelayAfter: 4},
		"NegativeLock":              {LockFor: -time.Minute},
		"SubSecondWindow":           {Limits: map[string]throttle.Rate{throttle.LimitLogin: {N: 3, Per: time.Millisecond}}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: New did not panic", name)
				}
			}()
			setup(t, cfg)
		}()
	}
}
