package portstest

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/ports"
)

func newEvent(userID uuid.UUID, kind ports.EventKind, at time.Time) ports.SecurityEvent {
	return ports.SecurityEvent{ID: uuid.New(), UserID: userID, Kind: kind, IP: netip.MustParseAddr("198.51.100.4"),
		UserAgent: "Mozilla/5.0 test", DeviceName: "Firefox 128 on Linux", Detail: map[string]string{"amr": "pwd"},
		CreatedAt: at}
}

func testSecurityEvents(t *testing.T, newStores func(t *testing.T) DeletionStores) {
	ctx := context.Background()
	t.Run("ListedNewestFirstWithEverythingStored", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		u, other := newUser("events@example.com"), newUser("other-events@example.com")
		must(t, s.Users.CreateUser(ctx, u))
		must(t, s.Users.CreateUser(ctx, other))
		first := newEvent(u.ID, ports.EventLogin, base)
		second := newEvent(u.ID, ports.EventLogout, base.Add(time.Minute))
		second.IP, second.UserAgent, second.DeviceName, second.Detail = netip.Addr{}, "", "", nil
		must(t, s.Events.CreateSecurityEvent(ctx, first))
		must(t, s.Events.CreateSecurityEvent(ctx, second))
		must(t, s.Events.CreateSecurityEvent(ctx, newEvent(other.ID, ports.EventLogin, base.Add(time.Hour))))

		got, err := s.Events.ListSecurityEventsByUser(ctx, u.ID, 10)
		must(t, err)
		if len(got) != 2 || got[0].ID != second.ID || got[1].ID != first.ID {
			t.Fatalf("events = %+v, want the logout then the login", got)
		}
		g := got[1]
		if g.UserID != u.ID || g.Kind != ports.EventLogin || g.IP != first.IP || g.UserAgent != first.UserAgent ||
			g.DeviceName != first.DeviceName || g.Detail["amr"] != "pwd" || len(g.Detail) != 1 || !g.CreatedAt.Equal(base) {
			t.Fatalf("event = %+v, want %+v", g, first)
		}
		if got[0].IP.IsValid() || got[0].Detail == nil || len(got[0].Detail) != 0 {
			t.Fatalf("an event without client or detail reads back as %+v", got[0])
		}
	})
	t.Run("LimitKeepsTheNewest", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		u := newUser("limit@example.com")
		must(t, s.Users.CreateUser(ctx, u))
		for i := range 5 {
			must(t, s.Events.CreateSecurityEvent(ctx, newEvent(u.ID, ports.EventStepUp, base.Add(time.Duration(i)*time.Second))))
		}
		got, err := s.Events.ListSecurityEventsByUser(ctx, u.ID, 2)
		must(t, err)
		if len(got) != 2 || !got[0].CreatedAt.Equal(base.Add(4*time.Second)) || !got[1].CreatedAt.Equal(base.Add(3*time.Second)) {
			t.Fatalf("limit 2 gave %+v", got)
		}
		all, err := s.Events.ListSecurityEventsByUser(ctx, u.ID, 0)
		must(t, err)
		if len(all) != 5 {
			t.Fatalf("limit 0 gave %d events, want all 5", len(all))
		}
	})
	t.Run("EventsOfOneInstantKeepOneOrder", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		u := newUser("instant@example.com")
		must(t, s.Users.CreateUser(ctx, u))
		for range 4 {
			must(t, s.Events.CreateSecurityEvent(ctx, newEvent(u.ID, ports.EventLogin, base)))
		}
		a, err := s.Events.ListSecurityEventsByUser(ctx, u.ID, 0)
		must(t, err)
		b, err := s.Events.ListSecurityEventsByUser(ctx, u.ID, 2)
		must(t, err)
		if a[0].ID != b[0].ID || a[1].ID != b[1].ID {
			t.Fatal("a limited list is not the head of the full one")
		}
	})
	t.Run("OldEventsArePrunedForEveryUser", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		u, other := newUser("prune@example.com"), newUser("prune-other@example.com")
		must(t, s.Users.CreateUser(ctx, u))
		must(t, s.Users.CreateUser(ctx, other))
		old, kept := newEvent(u.ID, ports.EventLogin, base), newEvent(u.ID, ports.EventLogout, base.Add(time.Hour))
		for _, e := range []ports.SecurityEvent{old, kept, newEvent(other.ID, ports.EventLogin, base.Add(time.Minute))} {
			must(t, s.Events.CreateSecurityEvent(ctx, e))
		}
		n, err := s.Events.DeleteSecurityEventsBefore(ctx, base.Add(time.Hour))
		must(t, err)
		if n != 2 {
			t.Fatalf("deleted %d events, want 2", n)
		}
		left, err := s.Events.ListSecurityEventsByUser(ctx, u.ID, 0)
		must(t, err)
		if len(left) != 1 || left[0].ID != kept.ID {
			t.Fatalf("left %v, want only the event at the cut-off", left)
		}
		if rest, _ := s.Events.ListSecurityEventsByUser(ctx, other.ID, 0); len(rest) != 0 {
			t.Fatalf("another user's old event was kept: %v", rest)
		}
	})
}
