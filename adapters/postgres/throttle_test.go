package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/adapters/postgres"
	"authd/adapters/postgres/pgtest"
	"authd/core/auth"
	"authd/ports"
	"authd/ports/portstest"
)

func TestThrottleConformance(t *testing.T) {
	t.Parallel()
	portstest.RunThrottle(t, func(t *testing.T) portstest.ThrottleStores {
		db := postgres.New(pgtest.New(t).Pool)
		return portstest.ThrottleStores{Users: postgres.NewUserStore(db), Throttle: postgres.NewThrottleStore(db), Tx: db}
	})
}

// TestAccountRunGoesWithItsUser checks what only the schema can: deleting a
// user deletes their run, lock included.
func TestAccountRunGoesWithItsUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := pgtest.New(t)
	db := postgres.New(pg.Pool)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	u := auth.User{ID: uuid.New(), Email: "locked@example.com", CreatedAt: now, UpdatedAt: now}
	if err := postgres.NewUserStore(db).CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	until := now.Add(15 * time.Minute)
	store := postgres.NewThrottleStore(db)
	if err := store.PutAccountFailures(ctx, ports.AccountFailures{UserID: u.ID, Failures: 10, LastAttemptAt: now,
		LastFailureAt: now, LockedUntil: &until}); err != nil {
		t.Fatal(err)
	}
	if _, err := pg.Pool.Exec(ctx, `DELETE FROM users WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := pg.Pool.QueryRow(ctx, `SELECT count(*) FROM account_lockouts`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d runs left after the user was deleted (%v)", n, err)
	}
}
