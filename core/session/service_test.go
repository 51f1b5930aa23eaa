package session_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/adapters/memory"
	"authd/core/auth"
	"authd/core/session"
)

type testBundle struct {
	db    *memory.DB
	clock *memory.Clock
	svc   *session.Service
	user  auth.User
}

func setup(t *testing.T, opts ...func(*session.Deps)) testBundle {
	t.Helper()
	db := memory.New()
	clock := memory.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	d := session.Deps{Sessions: db, Users: db, Tx: db, Jobs: db, UA: memory.UAParser{}, Clock: clock, Random: rand.Reader}
	for _, o := range opts {
		o(&d)
	}
	svc := session.New(d,
		session.Config{Lifetime: 30 * 24 * time.Hour, IdleTimeout: 7 * 24 * time.Hour, TouchInterval: time.Minute})
	u := auth.User{ID: uuid.New(), Email: "dev@example.com", CreatedAt: clock.Now()}
	if err := db.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return testBundle{db: db, clock: clock, svc: svc, user: u}
}

func (b testBundle) start(t *testing.T) auth.IssuedSession {
	t.Helper()
	return b.startFrom(t, "198.51.100.4", "TestAgent/1.0")
}

// startFrom signs the user in from an address and a user agent (which
// memory.UAParser takes as the device name).
func (b testBundle) startFrom(t *testing.T, ip, userAgent string) auth.IssuedSession {
	t.Helper()
	var addr netip.Addr
	if ip != "" {
		addr = netip.MustParseAddr(ip)
	}
	s, err := b.svc.Start(context.Background(), b.user.ID, auth.Client{IP: addr, UserAgent: userAgent}, auth.MethodPassword)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStart(t *testing.T) {
	t.Parallel()
	b := setup(t)
	issued := b.start(t)
	if len(issued.Token) != 43 {
		t.Fatalf("token length %d, want 43 (256 bits base64url)", len(issued.Token))
	}
	s := issued.Session
	if string(s.TokenHash) == issued.Token || len(s.TokenHash) != 32 {
		t.Fatal("the stored hash must be the SHA-256 of the token, not the token")
	}
	if s.IP.String() != "198.51.100.4" || s.UserAgent != "TestAgent/1.0" || s.Device.Name != "TestAgent/1.0" ||
		s.AuthMethod != auth.MethodPassword || !s.ExpiresAt.Equal(b.clock.Now().Add(30*24*time.Hour)) {
		t.Fatalf("session = %+v", s)
	}
	if other := b.start(t); other.Token == issued.Token {
		t.Fatal("two sessions got the same token")
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("ValidTokenGivesSessionAndUser", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		issued := b.start(t)
		s, u, err := b.svc.Authenticate(ctx, issued.Token)
		if err != nil || s.ID != issued.Session.ID || u.ID != b.user.ID {
			t.Fatalf("Authenticate = %v, %v, %v", s.ID, u.ID, err)
		}
	})
	t.Run("UnknownOrMalformedTokenIsUnauthenticated", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.start(t)
		for _, tok := range []string{"", "short", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
			if _, _, err := b.svc.Authenticate(ctx, tok); !errors.Is(err, auth.ErrUnauthenticated) {
				t.Errorf("Authenticate(%q) error = %v", tok, err)
			}
		}
	})
	t.Run("LogoutTakesEffectAtOnce", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		issued := b.start(t)
		if err := b.svc.Logout(ctx, issued.Session); err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.svc.Authenticate(ctx, issued.Token); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("after logout: %v", err)
		}
	})
	t.Run("IdleTimeoutEndsAnUnusedSession", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		issued := b.start(t)
		b.clock.Advance(7*24*time.Hour - time.Second)
		if _, _, err := b.svc.Authenticate(ctx, issued.Token); err != nil {
			t.Fatalf("just inside the idle timeout: %v", err)
		}
		b.clock.Advance(7 * 24 * time.Hour) // activity above reset the idle clock
		if _, _, err := b.svc.Authenticate(ctx, issued.Token); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("idle past the timeout: %v", err)
		}
	})
	t.Run("AbsoluteLifetimeEndsAnActiveSession", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		issued := b.start(t)
		for range 5 { // active every 5 days: never idle
			b.clock.Advance(5 * 24 * time.Hour)
			if _, _, err := b.svc.Authenticate(ctx, issued.Token); err != nil {
				t.Fatalf("within lifetime: %v", err)
			}
		}
		b.clock.Advance(5*24*time.Hour - time.Second)
		if _, _, err := b.svc.Authenticate(ctx, issued.Token); err != nil {
			t.Fatalf("a second before the absolute lifetime: %v", err)
		}
		b.clock.Advance(time.Second)
		if _, _, err := b.svc.Authenticate(ctx, issued.Token); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("past the absolute lifetime: %v", err)
		}
	})
	t.Run("ActivityIsWrittenAtMostOncePerInterval", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		issued := b.start(t)
		start := b.clock.Now()
		b.clock.Advance(59 * time.Second)
		b.svc.Authenticate(ctx, issued.Token)
		if got := b.lastActive(t); !got.Equal(start) {
			t.Fatalf("last_active_at written after 59s: %v", got)
		}
		b.clock.Advance(time.Second)
		b.svc.Authenticate(ctx, issued.Token)
		if got := b.lastActive(t); !got.Equal(b.clock.Now()) {
			t.Fatalf("last_active_at after 60s = %v, want %v", got, b.clock.Now())
		}
	})
}

func (b testBundle) lastActive(t *testing.T) time.Time {
	t.Helper()
	list, err := b.db.ListSessionsByUser(context.Background(), b.user.ID, b.clock.Now())
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	return list[0].LastActiveAt
}
