package portstest

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
)

func testSessions(t *testing.T, newStores func(t *testing.T) Stores) {
	ctx := context.Background()
	setup := func(t *testing.T) (Stores, auth.User) {
		s := newStores(t)
		u := newUser("sessions-" + uuid.NewString()[:8] + "@example.com")
		must(t, s.Users.CreateUser(ctx, u))
		return s, u
	}
	t.Run("FoundByTokenHashWithItsUser", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		want := newSession(u.ID, "a", base)
		must(t, s.Sessions.CreateSession(ctx, want))
		got, gotUser, err := s.Sessions.FindSessionByTokenHash(ctx, want.TokenHash)
		must(t, err)
		if gotUser.ID != u.ID || gotUser.Email != u.Email {
			t.Fatalf("user = %+v, want %+v", gotUser, u)
		}
		if got.ID != want.ID || got.IP != want.IP || got.Device != want.Device || got.UserAgent != want.UserAgent ||
			got.AuthMethod != want.AuthMethod || len(got.AMR) != 1 || got.AMR[0] != auth.MethodPassword ||
			!got.ExpiresAt.Equal(want.ExpiresAt) || !got.ReauthenticatedAt.Equal(base) || got.RevokedAt != nil {
			t.Fatalf("session = %+v, want %+v", got, want)
		}
		_, _, err = s.Sessions.FindSessionByTokenHash(ctx, []byte("unknown-token-hash-of-32-bytes!!"))
		wantErr(t, err, auth.ErrNotFound)
	})
	t.Run("RevokedIsNotFoundAndNotListed", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		a, b := newSession(u.ID, "a", base), newSession(u.ID, "b", base)
		must(t, s.Sessions.CreateSession(ctx, a))
		must(t, s.Sessions.CreateSession(ctx, b))
		must(t, s.Sessions.RevokeSession(ctx, u.ID, a.ID, base.Add(time.Minute)))
		_, _, err := s.Sessions.FindSessionByTokenHash(ctx, a.TokenHash)
		wantErr(t, err, auth.ErrNotFound)
		wantErr(t, s.Sessions.RevokeSession(ctx, u.ID, a.ID, base), auth.ErrNotFound)
		wantErr(t, s.Sessions.TouchSession(ctx, a.ID, base), auth.ErrNotFound)
		list, err := s.Sessions.ListSessionsByUser(ctx, u.ID, base)
		must(t, err)
		if len(list) != 1 || list[0].ID != b.ID {
			t.Fatalf("list = %v, want only %v", ids(list), b.ID)
		}
	})
	t.Run("AnotherUsersSessionCannotBeRevoked", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		other := newUser("other-" + uuid.NewString()[:8] + "@example.com")
		must(t, s.Users.CreateUser(ctx, other))
		a := newSession(u.ID, "a", base)
		must(t, s.Sessions.CreateSession(ctx, a))
		wantErr(t, s.Sessions.RevokeSession(ctx, other.ID, a.ID, base), auth.ErrNotFound)
		_, _, err := s.Sessions.FindSessionByTokenHash(ctx, a.TokenHash)
		must(t, err)
	})
	t.Run("ListedByActivityWithoutExpired", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		old, recent, expired := newSession(u.ID, "old", base), newSession(u.ID, "new", base), newSession(u.ID, "exp", base)
		expired.ExpiresAt = base.Add(time.Hour)
		for _, x := range []auth.Session{old, recent, expired} {
			must(t, s.Sessions.CreateSession(ctx, x))
		}
		must(t, s.Sessions.TouchSession(ctx, recent.ID, base.Add(2*time.Hour)))
		list, err := s.Sessions.ListSessionsByUser(ctx, u.ID, base.Add(2*time.Hour))
		must(t, err)
		if len(list) != 2 || list[0].ID != recent.ID || list[1].ID != old.ID {
			t.Fatalf("list = %v, want [%v %v]", ids(list), recent.ID, old.ID)
		}
		if !list[0].LastActiveAt.Equal(base.Add(2 * time.Hour)) {
			t.Fatalf("touched last_active_at = %v", list[0].LastActiveAt)
		}
	})
	t.Run("RevokeByUserSparesTheExceptionAndOtherUsers", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		other := newUser("bystander-" + uuid.NewString()[:8] + "@example.com")
		must(t, s.Users.CreateUser(ctx, other))
		keep, x, y, theirs := newSession(u.ID, "k", base), newSession(u.ID, "x", base), newSession(u.ID, "y", base), newSession(other.ID, "t", base)
		for _, v := range []auth.Session{keep, x, y, theirs} {
			must(t, s.Sessions.CreateSession(ctx, v))
		}
		n, err := s.Sessions.RevokeSessionsByUser(ctx, u.ID, keep.ID, base)
		must(t, err)
		if n != 2 {
			t.Fatalf("revoked %d, want 2", n)
		}
		list, err := s.Sessions.ListSessionsByUser(ctx, u.ID, base)
		must(t, err)
		if len(list) != 1 || list[0].ID != keep.ID {
			t.Fatalf("left %v, want only %v", ids(list), keep.ID)
		}
		n, err = s.Sessions.RevokeSessionsByUser(ctx, u.ID, uuid.Nil, base)
		must(t, err)
		if n != 1 {
			t.Fatalf("revoked %d, want 1", n)
		}
		if _, _, err := s.Sessions.FindSessionByTokenHash(ctx, theirs.TokenHash); err != nil {
			t.Fatalf("another user's session was touched: %v", err)
		}
	})
	t.Run("FoundByIDInAnyState", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		a := newSession(u.ID, "a", base)
		must(t, s.Sessions.CreateSession(ctx, a))
		got, err := s.Sessions.FindSessionByID(ctx, a.ID)
		must(t, err)
		if got.ID != a.ID || got.UserID != u.ID || got.Device != a.Device || got.IP != a.IP || got.RevokedAt != nil {
			t.Fatalf("FindSessionByID = %+v, want %+v", got, a)
		}
		revokedAt := base.Add(time.Minute)
		must(t, s.Sessions.RevokeSession(ctx, u.ID, a.ID, revokedAt))
		got, err = s.Sessions.FindSessionByID(ctx, a.ID)
		must(t, err)
		if got.RevokedAt == nil || !got.RevokedAt.Equal(revokedAt) {
			t.Fatalf("revoked_at = %v, want %v", got.RevokedAt, revokedAt)
		}
		_, err = s.Sessions.FindSessionByID(ctx, uuid.New())
		wantErr(t, err, auth.ErrNotFound)
	})
	t.Run("RotatedTokenReplacesTheOldAndRecordsTheMethodOnce", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		a := newSession(u.ID, "a", base)
		must(t, s.Sessions.CreateSession(ctx, a))
		newHash := []byte("rotated-token-hash-of-32-bytes!!")
		at := base.Add(time.Hour)
		got, err := s.Sessions.RotateSessionToken(ctx, a.ID, newHash, auth.MethodOTP, at)
		must(t, err)
		if got.ID != a.ID || !slices.Equal(got.AMR, []string{auth.MethodPassword, auth.MethodOTP}) ||
			!got.ReauthenticatedAt.Equal(at) || !got.LastActiveAt.Equal(at) || !got.CreatedAt.Equal(base) {
			t.Fatalf("rotated = %+v", got)
		}
		_, _, err = s.Sessions.FindSessionByTokenHash(ctx, a.TokenHash)
		wantErr(t, err, auth.ErrNotFound)
		found, _, err := s.Sessions.FindSessionByTokenHash(ctx, newHash)
		must(t, err)
		if found.ID != a.ID || !slices.Equal(found.AMR, got.AMR) || !found.ReauthenticatedAt.Equal(at) {
			t.Fatalf("found by the new hash: %+v", found)
		}
		again := []byte("rotated-again-hash-of-32-bytes!!")
		got, err = s.Sessions.RotateSessionToken(ctx, a.ID, again, auth.MethodPassword, at.Add(time.Minute))
		must(t, err)
		if !slices.Equal(got.AMR, []string{auth.MethodPassword, auth.MethodOTP}) {
			t.Fatalf("amr after a repeated method = %v, want no duplicate", got.AMR)
		}
	})
	t.Run("RevokedSessionCannotBeRotated", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		a := newSession(u.ID, "a", base)
		must(t, s.Sessions.CreateSession(ctx, a))
		must(t, s.Sessions.RevokeSession(ctx, u.ID, a.ID, base))
		newHash := []byte("rotated-token-hash-of-32-bytes!!")
		_, err := s.Sessions.RotateSessionToken(ctx, a.ID, newHash, auth.MethodOTP, base)
		wantErr(t, err, auth.ErrNotFound)
		_, err = s.Sessions.RotateSessionToken(ctx, uuid.New(), newHash, auth.MethodOTP, base)
		wantErr(t, err, auth.ErrNotFound)
		_, _, err = s.Sessions.FindSessionByTokenHash(ctx, newHash)
		wantErr(t, err, auth.ErrNotFound)
	})
	t.Run("DeviceSeenMatchesNameNetworkAndWindow", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		const name = "Firefox 128 on Linux"
		v4 := netip.MustParsePrefix("203.0.113.0/24")
		since := base.Add(-time.Hour)
		anySession, seen, err := s.Sessions.DeviceSeen(ctx, u.ID, name, v4, since)
		must(t, err)
		if anySession || seen {
			t.Fatalf("a user without sessions: any=%v seen=%v", anySession, seen)
		}
		a := newSession(u.ID, "a", base) // 203.0.113.7, active at base
		v6 := newSession(u.ID, "6", base)
		v6.IP, v6.Device.Name = netip.MustParseAddr("2001:db8:1:2::5"), "Safari 17.5 on iPhone"
		must(t, s.Sessions.CreateSession(ctx, a))
		must(t, s.Sessions.CreateSession(ctx, v6))
		must(t, s.Sessions.RevokeSession(ctx, u.ID, a.ID, base)) // signing out does not forget the device
		cases := []struct {
			name    string
			device  string
			network string
			since   time.Time
			seen    bool
		}{
			{"SameNameAndNetwork", name, "203.0.113.0/24", since, true},
			{"ActiveExactlyAtSince", name, "203.0.113.0/24", base, true},
			{"OtherNetwork", name, "203.0.114.0/24", since, false},
			{"OtherDeviceName", "Chrome 126 on Linux", "203.0.113.0/24", since, false},
			{"LastActiveBeforeTheWindow", name, "203.0.113.0/24", base.Add(time.Second), false},
			{"IPv6InsideTheSlash48", "Safari 17.5 on iPhone", "2001:db8:1::/48", since, true},
			{"IPv6OtherSlash48", "Safari 17.5 on iPhone", "2001:db8:2::/48", since, false},
		}
		for _, c := range cases {
			anySession, seen, err := s.Sessions.DeviceSeen(ctx, u.ID, c.device, netip.MustParsePrefix(c.network), c.since)
			must(t, err)
			if !anySession || seen != c.seen {
				t.Errorf("%s: any=%v seen=%v, want any=true seen=%v", c.name, anySession, seen, c.seen)
			}
		}
		other := newUser("stranger-" + uuid.NewString()[:8] + "@example.com")
		must(t, s.Users.CreateUser(ctx, other))
		anySession, seen, err = s.Sessions.DeviceSeen(ctx, other.ID, name, v4, since)
		must(t, err)
		if anySession || seen {
			t.Fatalf("another user's sessions leaked in: any=%v seen=%v", anySession, seen)
		}
	})
	t.Run("ExpiredSessionsArePrunedButEachUsersNewestStays", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		day := 24 * time.Hour
		session := func(userID uuid.UUID, token string, created, expires time.Time) auth.Session {
			x := newSession(userID, token, created)
			x.CreatedAt, x.ReauthenticatedAt, x.ExpiresAt = created, created, expires
			must(t, s.Sessions.CreateSession(ctx, x))
			return x
		}
		old := session(u.ID, "old", base.Add(-200*day), base.Add(-170*day))
		revoked := session(u.ID, "revoked", base.Add(-150*day), base.Add(-120*day))
		must(t, s.Sessions.RevokeSession(ctx, u.ID, revoked.ID, base.Add(-149*day)))
		recent := session(u.ID, "recent", base.Add(-40*day), base.Add(-10*day))
		live := session(u.ID, "live", base, base.Add(30*day))
		dormant := newUser("dormant-" + uuid.NewString()[:8] + "@example.com")
		must(t, s.Users.CreateUser(ctx, dormant))
		only := session(dormant.ID, "only", base.Add(-300*day), base.Add(-270*day))

		before := base.Add(-90 * day)
		n, err := s.Sessions.DeleteExpiredSessions(ctx, before, 1)
		must(t, err)
		if n != 1 {
			t.Fatalf("first batch of one deleted %d", n)
		}
		n, err = s.Sessions.DeleteExpiredSessions(ctx, before, 100)
		must(t, err)
		if n != 1 {
			t.Fatalf("second batch deleted %d, want the other of the two expired before the cut", n)
		}
		for _, gone := range []auth.Session{old, revoked} {
			_, err := s.Sessions.FindSessionByID(ctx, gone.ID)
			wantErr(t, err, auth.ErrNotFound)
		}
		for _, kept := range []auth.Session{recent, live, only} {
			if _, err := s.Sessions.FindSessionByID(ctx, kept.ID); err != nil {
				t.Errorf("session created %s, expiring %s: %v; want it kept", kept.CreatedAt, kept.ExpiresAt, err)
			}
		}
		anySession, _, err := s.Sessions.DeviceSeen(ctx, dormant.ID, only.Device.Name, netip.MustParsePrefix("203.0.113.0/24"), base)
		must(t, err)
		if !anySession {
			t.Fatal("the dormant user's last session went: their next sign-in would not alert as a new device")
		}
		if n, err := s.Sessions.DeleteExpiredSessions(ctx, before, 100); err != nil || n != 0 {
			t.Fatalf("a third run deleted %d, %v; want nothing left to delete", n, err)
		}
	})
}

func ids(list []auth.Session) []uuid.UUID {
	out := make([]uuid.UUID, len(list))
	for i, s := range list {
		out[i] = s.ID
	}
	return out
}
