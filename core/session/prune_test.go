package session_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"authd/core/auth"
)

func TestPrune(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const day = 24 * time.Hour
	t.Run("DeletesLongExpiredSessionsInBatchesButNotTheNewest", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		var old []auth.IssuedSession
		for range 1200 { // more than one batch of 1000
			old = append(old, b.start(t))
		}
		b.clock.Advance(30*day + 50*day) // expired 50 days ago: inside the window
		recent := b.start(t)
		if n, err := b.svc.Prune(ctx); err != nil || n != 0 {
			t.Fatalf("Prune inside the window = %d, %v; want nothing deleted", n, err)
		}
		b.clock.Advance(41 * day) // the first sessions expired 91 days ago
		newest := b.start(t)
		n, err := b.svc.Prune(ctx)
		if err != nil || n != len(old) {
			t.Fatalf("Prune = %d, %v; want the %d long-expired sessions", n, err, len(old))
		}
		for _, s := range old[:3] {
			if _, err := b.db.FindSessionByID(ctx, s.Session.ID); !errors.Is(err, auth.ErrNotFound) {
				t.Fatalf("a session expired 91 days ago is still there: %v", err)
			}
		}
		for _, s := range []auth.IssuedSession{recent, newest} {
			if _, err := b.db.FindSessionByID(ctx, s.Session.ID); err != nil {
				t.Fatalf("a session expired %s ago went: %v", b.clock.Now().Sub(s.Session.ExpiresAt), err)
			}
		}
	})
	t.Run("DormantAccountStillAlertsOnANewDevice", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.startFrom(t, "198.51.100.4", "Firefox on Linux")
		b.clock.Advance(365 * day)
		if n, err := b.svc.Prune(ctx); err != nil || n != 0 {
			t.Fatalf("Prune = %d, %v; want the only session kept", n, err)
		}
		b.startFrom(t, "203.0.113.9", "Chrome on Windows")
		if got := b.alerts(t); len(got) != 1 {
			t.Fatalf("%d new-device alerts after a year away, want 1", len(got))
		}
	})
}
