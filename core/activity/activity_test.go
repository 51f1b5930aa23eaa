package activity_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/adapters/memory"
	"authd/core/activity"
	"authd/core/auth"
	"authd/ports"
)

type testBundle struct {
	db    *memory.DB
	clock *memory.Clock
	svc   *activity.Service
	user  uuid.UUID
}

func setup(t *testing.T) testBundle {
	t.Helper()
	db := memory.New()
	clock := memory.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	u := auth.User{ID: uuid.New(), Email: "erin@example.com", CreatedAt: clock.Now(), UpdatedAt: clock.Now()}
	if err := db.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return testBundle{db: db, clock: clock, user: u.ID,
		svc: activity.New(activity.Deps{Events: db, UA: memory.UAParser{}, Clock: clock, Random: rand.Reader})}
}

func TestRecord(t *testing.T) {
	t.Parallel()
	t.Run("TakesWhereTheRequestCameFromFromTheContext", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := auth.WithClient(context.Background(),
			auth.Client{IP: netip.MustParseAddr("::ffff:203.0.113.5"), UserAgent: "Firefox 128"})
		if err := b.svc.Record(ctx, b.user, ports.EventLogin, map[string]string{"amr": "pwd"}); err != nil {
			t.Fatal(err)
		}
		got, err := b.svc.Recent(context.Background(), b.user, 0)
		if err != nil || len(got) != 1 {
			t.Fatalf("recent = %+v, %v", got, err)
		}
		e := got[0]
		if e.Kind != ports.EventLogin || e.IP != netip.MustParseAddr("203.0.113.5") || e.UserAgent != "Firefox 128" ||
			e.DeviceName != "Firefox 128" || e.Detail["amr"] != "pwd" || !e.CreatedAt.Equal(b.clock.Now()) {
			t.Fatalf("event = %+v", e)
		}
	})
	t.Run("WithoutAClientRecordsNone", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		if err := b.svc.Record(context.Background(), b.user, ports.EventLogout, nil); err != nil {
			t.Fatal(err)
		}
		got, _ := b.svc.Recent(context.Background(), b.user, 0)
		if len(got) != 1 || got[0].IP.IsValid() || got[0].UserAgent != "" || got[0].DeviceName != "" {
			t.Fatalf("event = %+v", got)
		}
	})
	t.Run("RolledBackWithItsTransaction", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		boom := errors.New("boom")
		err := b.db.WithinTx(context.Background(), func(ctx context.Context) error {
			if err := b.svc.Record(ctx, b.user, ports.EventPasswordChanged, nil); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if got, _ := b.svc.Recent(context.Background(), b.user, 0); len(got) != 0 {
			t.Fatal("an event outlived the change it told about")
		}
	})
}

func TestRecent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	for range activity.DefaultLimit + 10 {
		b.clock.Advance(time.Second)
		if err := b.svc.Record(ctx, b.user, ports.EventStepUp, nil); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("DefaultsToTheLatestFifty", func(t *testing.T) {
		got, err := b.svc.Recent(ctx, b.user, 0)
		if err != nil || len(got) != activity.DefaultLimit || !got[0].CreatedAt.Equal(b.clock.Now()) {
			t.Fatalf("recent = %d events (%v), newest %v", len(got), err, got[0].CreatedAt)
		}
	})
	t.Run("HonoursALimitInRange", func(t *testing.T) {
		got, err := b.svc.Recent(ctx, b.user, 3)
		if err != nil || len(got) != 3 {
			t.Fatalf("recent = %d events (%v)", len(got), err)
		}
	})
	t.Run("RefusesALimitOutOfRange", func(t *testing.T) {
		for _, limit := range []int{-1, activity.MaxLimit + 1} {
			if _, err := b.svc.Recent(ctx, b.user, limit); !errors.Is(err, auth.ErrInvalidRequest) {
				t.Fatalf("limit %d: error = %v, want invalid_request", limit, err)
			}
		}
	})
}

func TestPruneKeepsTheRetentionWindow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	record := func() {
		if err := b.svc.Record(ctx, b.user, ports.EventLogin, nil); err != nil {
			t.Fatal(err)
		}
	}
	record() // day 0
	b.clock.Advance(100 * 24 * time.Hour)
	record() // day 100
	b.clock.Advance(81 * 24 * time.Hour)
	n, err := b.svc.Prune(ctx, 180*24*time.Hour) // cut-off: day 1
	if err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want the day-0 event only", n, err)
	}
	left, err := b.svc.Recent(ctx, b.user, 0)
	if err != nil || len(left) != 1 {
		t.Fatalf("left %d events, %v; want the day-100 one", len(left), err)
	}
}
