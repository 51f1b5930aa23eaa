package portstest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// ThrottleStores is one fresh, empty set of the stores the throttle
// capability uses.
type ThrottleStores struct {
	Users    ports.UserStore
	Throttle ports.ThrottleStore
	Tx       ports.TxRunner
}

// RunThrottle runs the throttle store's suite; newStores must return empty
// stores for each call.
func RunThrottle(t *testing.T, newStores func(t *testing.T) ThrottleStores) {
	t.Run("AccountFailures", func(t *testing.T) { t.Parallel(); testAccountFailures(t, newStores) })
	t.Run("RequestCounts", func(t *testing.T) { t.Parallel(); testRequestCounts(t, newStores) })
}

func testAccountFailures(t *testing.T, newStores func(t *testing.T) ThrottleStores) {
	ctx := context.Background()
	setup := func(t *testing.T) (ThrottleStores, auth.User) {
		s := newStores(t)
		u := newUser("throttle-" + uuid.NewString()[:8] + "@example.com")
		must(t, s.Users.CreateUser(ctx, u))
		return s, u
	}
	lock := func(t *testing.T, s ThrottleStores, id uuid.UUID) (f ports.AccountFailures, err error) {
		t.Helper()
		err = s.Tx.WithinTx(ctx, func(ctx context.Context) error {
			f, err = s.Throttle.LockAccountFailures(ctx, id)
			return err
		})
		return f, err
	}
	same := func(t *testing.T, got, want ports.AccountFailures) {
		t.Helper()
		lockEqual := (got.LockedUntil == nil) == (want.LockedUntil == nil) &&
			(got.LockedUntil == nil || got.LockedUntil.Equal(*want.LockedUntil))
		if got.UserID != want.UserID || got.Failures != want.Failures || !got.LastAttemptAt.Equal(want.LastAttemptAt) ||
			!got.LastFailureAt.Equal(want.LastFailureAt) || !lockEqual {
			t.Fatalf("run = %+v, want %+v", got, want)
		}
	}
	t.Run("NoRunReadsAsEmpty", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		f, err := s.Throttle.FindAccountFailures(ctx, u.ID)
		must(t, err)
		same(t, f, ports.AccountFailures{UserID: u.ID})
		f, err = lock(t, s, u.ID)
		must(t, err)
		same(t, f, ports.AccountFailures{UserID: u.ID})
	})
	t.Run("LockingOutsideATransactionIsRefused", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		if _, err := s.Throttle.LockAccountFailures(ctx, u.ID); err == nil {
			t.Fatal("a lock outside a transaction would be released at once; want an error")
		}
	})
	t.Run("UnknownUserIsNotFound", func(t *testing.T) {
		t.Parallel()
		s, _ := setup(t)
		_, err := lock(t, s, uuid.New())
		wantErr(t, err, auth.ErrNotFound)
		wantErr(t, s.Throttle.PutAccountFailures(ctx, ports.AccountFailures{UserID: uuid.New(), Failures: 1}), auth.ErrNotFound)
	})
	t.Run("PutRoundTripsZeroTimesAndTheLock", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		f := ports.AccountFailures{UserID: u.ID, Failures: 3, LastAttemptAt: base.Add(time.Second)}
		must(t, s.Throttle.PutAccountFailures(ctx, f))
		got, err := s.Throttle.FindAccountFailures(ctx, u.ID)
		must(t, err)
		same(t, got, f)
		until := base.Add(15 * time.Minute)
		f = ports.AccountFailures{UserID: u.ID, Failures: 10, LastAttemptAt: base.Add(2 * time.Second),
			LastFailureAt: base.Add(3 * time.Second), LockedUntil: &until}
		must(t, s.Throttle.PutAccountFailures(ctx, f))
		got, err = lock(t, s, u.ID)
		must(t, err)
		same(t, got, f)
	})
	t.Run("RollbackUndoesAPut", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		boom := errors.New("boom")
		err := s.Tx.WithinTx(ctx, func(ctx context.Context) error {
			f, err := s.Throttle.LockAccountFailures(ctx, u.ID)
			must(t, err)
			f.Failures = 7
			must(t, s.Throttle.PutAccountFailures(ctx, f))
			return boom
		})
		wantErr(t, err, boom)
		f, err := s.Throttle.FindAccountFailures(ctx, u.ID)
		must(t, err)
		same(t, f, ports.AccountFailures{UserID: u.ID})
	})
	t.Run("ConcurrentLockedIncrementsAreNotLost", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		const n = 20
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				err := s.Tx.WithinTx(ctx, func(ctx context.Context) error {
					f, err := s.Throttle.LockAccountFailures(ctx, u.ID)
					if err != nil {
						return err
					}
					f.Failures++
					return s.Throttle.PutAccountFailures(ctx, f)
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		f, err := s.Throttle.FindAccountFailures(ctx, u.ID)
		must(t, err)
		if f.Failures != n {
			t.Fatalf("%d failures after %d concurrent increments: the lock lost updates", f.Failures, n)
		}
	})
	t.Run("DeleteForgetsOnlyThatUser", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		other := newUser("other-" + uuid.NewString()[:8] + "@example.com")
		must(t, s.Users.CreateUser(ctx, other))
		for _, id := range []uuid.UUID{u.ID, other.ID} {
			must(t, s.Throttle.PutAccountFailures(ctx, ports.AccountFailures{UserID: id, Failures: 2, LastAttemptAt: base}))
		}
		must(t, s.Throttle.DeleteAccountFailures(ctx, u.ID))
		must(t, s.Throttle.DeleteAccountFailures(ctx, u.ID))
		if f, _ := s.Throttle.FindAccountFailures(ctx, u.ID); f.Failures != 0 {
			t.Fatalf("run after delete = %+v", f)
		}
		if f, _ := s.Throttle.FindAccountFailures(ctx, other.ID); f.Failures != 2 {
			t.Fatalf("the other user's run = %+v, want untouched", f)
		}
	})
	t.Run("DeleteBeforeKeepsRunsWithAnythingRecent", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		cut := base.Add(time.Hour)
		later := cut.Add(time.Minute)
		runs := map[string]ports.AccountFailures{
			"old":           {Failures: 2, LastAttemptAt: base, LastFailureAt: base},
			"attemptOnly":   {Failures: 1, LastAttemptAt: base},
			"recentAttempt": {Failures: 2, LastAttemptAt: later, LastFailureAt: base},
			"recentFailure": {Failures: 2, LastAttemptAt: base, LastFailureAt: later},
			"stillLocked":   {Failures: 10, LastAttemptAt: base, LastFailureAt: base, LockedUntil: &later},
		}
		ids := map[string]uuid.UUID{}
		for name, f := range runs {
			u := newUser(name + "-" + uuid.NewString()[:8] + "@example.com")
			must(t, s.Users.CreateUser(ctx, u))
			f.UserID, ids[name] = u.ID, u.ID
			must(t, s.Throttle.PutAccountFailures(ctx, f))
		}
		n, err := s.Throttle.DeleteAccountFailuresBefore(ctx, cut)
		must(t, err)
		if n != 2 {
			t.Fatalf("deleted %d runs, want 2 (old, attemptOnly)", n)
		}
		for name, id := range ids {
			f, _ := s.Throttle.FindAccountFailures(ctx, id)
			if gone := f.Failures == 0; gone != (name == "old" || name == "attemptOnly") {
				t.Errorf("%s: run %+v after the cleanup", name, f)
			}
		}
	})
}

func testRequestCounts(t *testing.T, newStores func(t *testing.T) ThrottleStores) {
	ctx := context.Background()
	count := func(t *testing.T, s ThrottleStores, key string, start time.Time) int {
		t.Helper()
		n, err := s.Throttle.CountRequest(ctx, key, start)
		must(t, err)
		return n
	}
	t.Run("CountsPerKeyAndWindow", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		next := base.Add(time.Minute)
		for i := 1; i <= 3; i++ {
			if n := count(t, s, "login 203.0.113.9", base); n != i {
				t.Fatalf("count %d = %d", i, n)
			}
		}
		if n := count(t, s, "login 203.0.113.10", base); n != 1 {
			t.Fatalf("another key counts %d, want 1", n)
		}
		if n := count(t, s, "login 203.0.113.9", next); n != 1 {
			t.Fatalf("the next window counts %d, want 1", n)
		}
	})
	t.Run("ConcurrentCountsAreNotLost", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		const n = 25
		seen := make(chan int, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				c, err := s.Throttle.CountRequest(ctx, "signup 198.51.100.1", base)
				if err != nil {
					t.Error(err)
				}
				seen <- c
			})
		}
		wg.Wait()
		close(seen)
		got := map[int]bool{}
		for c := range seen {
			got[c] = true
		}
		for i := 1; i <= n; i++ {
			if !got[i] {
				t.Fatalf("no request read back count %d: counts %v were lost or shared", i, got)
			}
		}
	})
	t.Run("DeleteBeforeDropsOlderWindowsOnly", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		count(t, s, "a", base)
		count(t, s, "b", base)
		count(t, s, "a", base.Add(time.Minute))
		n, err := s.Throttle.DeleteRequestCountsBefore(ctx, base.Add(time.Minute))
		must(t, err)
		if n != 2 {
			t.Fatalf("deleted %d windows, want 2", n)
		}
		if c := count(t, s, "a", base.Add(time.Minute)); c != 2 {
			t.Fatalf("the kept window counts %d, want 2", c)
		}
		if c := count(t, s, "a", base); c != 1 {
			t.Fatalf("a deleted window counts %d, want to start over at 1", c)
		}
	})
}
