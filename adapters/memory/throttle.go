package memory

import (
	"context"
	"maps"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// throttleTables are the rows of ports.ThrottleStore.
type throttleTables struct {
	runs    map[uuid.UUID]ports.AccountFailures
	windows map[rateWindow]int
}

type rateWindow struct {
	key   string
	start time.Time
}

func newThrottleTables() throttleTables {
	return throttleTables{runs: map[uuid.UUID]ports.AccountFailures{}, windows: map[rateWindow]int{}}
}

func (t throttleTables) clone() throttleTables {
	return throttleTables{runs: maps.Clone(t.runs), windows: maps.Clone(t.windows)}
}

// LockAccountFailures implements ports.ThrottleStore. Transactions here are
// serialised already, so holding one is the lock.
func (db *DB) LockAccountFailures(ctx context.Context, userID uuid.UUID) (ports.AccountFailures, error) {
	if _, ok := ctx.Value(txKey{}).(*tx); !ok {
		return ports.AccountFailures{}, ErrNoTx
	}
	defer db.lock()()
	if _, ok := db.t.users[userID]; !ok {
		return ports.AccountFailures{}, auth.ErrNotFound
	}
	return db.run(userID), nil
}

// PutAccountFailures implements ports.ThrottleStore.
func (db *DB) PutAccountFailures(_ context.Context, f ports.AccountFailures) error {
	defer db.lock()()
	if _, ok := db.t.users[f.UserID]; !ok {
		return auth.ErrNotFound
	}
	if f.LockedUntil != nil {
		until := *f.LockedUntil
		f.LockedUntil = &until
	}
	db.t.throttle.runs[f.UserID] = f
	return nil
}

// FindAccountFailures implements ports.ThrottleStore.
func (db *DB) FindAccountFailures(_ context.Context, userID uuid.UUID) (ports.AccountFailures, error) {
	defer db.lock()()
	return db.run(userID), nil
}

// run returns a copy of the user's run; db.mu must be held.
func (db *DB) run(userID uuid.UUID) ports.AccountFailures {
	f, ok := db.t.throttle.runs[userID]
	if !ok {
		return ports.AccountFailures{UserID: userID}
	}
	if f.LockedUntil != nil {
		until := *f.LockedUntil
		f.LockedUntil = &until
	}
	return f
}

// DeleteAccountFailures implements ports.ThrottleStore.
func (db *DB) DeleteAccountFailures(_ context.Context, userID uuid.UUID) error {
	defer db.lock()()
	delete(db.t.throttle.runs, userID)
	return nil
}

// DeleteAccountFailuresBefore implements ports.ThrottleStore.
func (db *DB) DeleteAccountFailuresBefore(_ context.Context, t time.Time) (int, error) {
	defer db.lock()()
	n := 0
	maps.DeleteFunc(db.t.throttle.runs, func(_ uuid.UUID, f ports.AccountFailures) bool {
		old := f.LastAttemptAt.Before(t) && f.LastFailureAt.Before(t) && (f.LockedUntil == nil || f.LockedUntil.Before(t))
		if old {
			n++
		}
		return old
	})
	return n, nil
}

// CountRequest implements ports.ThrottleStore.
func (db *DB) CountRequest(_ context.Context, key string, windowStart time.Time) (int, error) {
	defer db.lock()()
	w := rateWindow{key: key, start: windowStart.UTC()}
	db.t.throttle.windows[w]++
	return db.t.throttle.windows[w], nil
}

// DeleteRequestCountsBefore implements ports.ThrottleStore.
func (db *DB) DeleteRequestCountsBefore(_ context.Context, t time.Time) (int, error) {
	defer db.lock()()
	n := 0
	maps.DeleteFunc(db.t.throttle.windows, func(w rateWindow, _ int) bool {
		if w.start.Before(t) {
			n++
			return true
		}
		return false
	})
	return n, nil
}
