package session_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/core/session"
)

func TestList(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("LiveSessionsMostRecentlyActiveFirst", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		idle := b.startFrom(t, "198.51.100.4", "idle")
		b.clock.Advance(time.Hour)
		older := b.startFrom(t, "198.51.100.4", "older")
		b.clock.Advance(time.Hour)
		newer := b.startFrom(t, "198.51.100.4", "newer")
		revoked := b.startFrom(t, "198.51.100.4", "revoked")
		if err := b.svc.Logout(ctx, revoked.Session); err != nil {
			t.Fatal(err)
		}
		b.clock.Advance(7*24*time.Hour - 90*time.Minute) // idle is past the timeout; the others not
		if _, _, err := b.svc.Authenticate(ctx, older.Token); err != nil {
			t.Fatal(err)
		}
		list, err := b.svc.List(ctx, b.user.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []uuid.UUID{older.Session.ID, newer.Session.ID}
		if got := sessionIDs(list); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("list = %v, want %v (idle %v and revoked %v left out)", got, want, idle.Session.ID, revoked.Session.ID)
		}
	})
	t.Run("AnotherUsersSessionsAreNotListed", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.start(t)
		list, err := b.svc.List(ctx, uuid.New())
		if err != nil || len(list) != 0 {
			t.Fatalf("List(stranger) = %v, %v", sessionIDs(list), err)
		}
	})
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("OwnSessionStopsAuthenticatingAtOnce", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		s := b.start(t)
		if err := b.svc.Revoke(ctx, b.user.ID, s.Session.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.svc.Authenticate(ctx, s.Token); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("revoked session authenticates: %v", err)
		}
	})
	t.Run("AnotherUsersUnknownOrRevokedIdIsNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		s := b.start(t)
		gone := b.start(t)
		if err := b.svc.Revoke(ctx, b.user.ID, gone.Session.ID); err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]struct{ user, id uuid.UUID }{
			"AnotherUsers": {uuid.New(), s.Session.ID},
			"Unknown":      {b.user.ID, uuid.New()},
			"Revoked":      {b.user.ID, gone.Session.ID},
		} {
			if err := b.svc.Revoke(ctx, c.user, c.id); !errors.Is(err, auth.ErrNotFound) {
				t.Errorf("%s: Revoke = %v, want auth.ErrNotFound", name, err)
			}
		}
		if _, _, err := b.svc.Authenticate(ctx, s.Token); err != nil {
			t.Fatalf("a refused revoke ended the session: %v", err)
		}
	})
	t.Run("OthersKeepsOnlyTheCurrent", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		keep, x, y := b.start(t), b.start(t), b.start(t)
		n, err := b.svc.RevokeOthers(ctx, b.user.ID, keep.Session.ID)
		if err != nil || n != 2 {
			t.Fatalf("RevokeOthers = %d, %v; want 2", n, err)
		}
		for _, s := range []auth.IssuedSession{x, y} {
			if _, _, err := b.svc.Authenticate(ctx, s.Token); !errors.Is(err, auth.ErrUnauthenticated) {
				t.Fatalf("another session survived: %v", err)
			}
		}
		if _, _, err := b.svc.Authenticate(ctx, keep.Token); err != nil {
			t.Fatalf("the kept session ended: %v", err)
		}
	})
	t.Run("AllEndsEverySession", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		a, c := b.start(t), b.start(t)
		n, err := b.svc.RevokeAll(ctx, b.user.ID)
		if err != nil || n != 2 {
			t.Fatalf("RevokeAll = %d, %v; want 2", n, err)
		}
		for _, s := range []auth.IssuedSession{a, c} {
			if _, _, err := b.svc.Authenticate(ctx, s.Token); !errors.Is(err, auth.ErrUnauthenticated) {
				t.Fatalf("a session survived: %v", err)
			}
		}
	})
}

func TestReplacing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("SignInRevokesTheSessionItReplaces", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		planted := b.start(t)
		fresh, err := b.svc.Start(session.Replacing(ctx, planted.Session), b.user.ID, client, auth.MethodPassword)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.svc.Authenticate(ctx, planted.Token); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("the replaced session still authenticates: %v", err)
		}
		if _, _, err := b.svc.Authenticate(ctx, fresh.Token); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("FailedSignInKeepsTheOldSession", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(d *session.Deps) { d.Jobs = failingJobs{} })
		old := b.startFrom(t, "198.51.100.4", "laptop")
		// A new device enqueues an alert, which fails: everything rolls back.
		_, err := b.svc.Start(session.Replacing(ctx, old.Session), b.user.ID,
			auth.Client{IP: old.Session.IP, UserAgent: "phone"}, auth.MethodPassword)
		if !errors.Is(err, errQueue) {
			t.Fatalf("Start = %v", err)
		}
		if _, _, err := b.svc.Authenticate(ctx, old.Token); err != nil {
			t.Fatalf("a sign-in that failed ended the old session: %v", err)
		}
	})
}

var client = auth.Client{UserAgent: "TestAgent/1.0"}

func sessionIDs(list []auth.Session) []uuid.UUID {
	out := make([]uuid.UUID, len(list))
	for i, s := range list {
		out[i] = s.ID
	}
	return out
}
