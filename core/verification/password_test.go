package verification_test

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

var clientIP = netip.MustParseAddr("203.0.113.9")

// session stores a live session for u and returns its token hash.
func (b testBundle) session(t *testing.T, u auth.User) auth.Session {
	t.Helper()
	now := b.clock.Now()
	s := auth.Session{ID: uuid.New(), UserID: u.ID, TokenHash: []byte(uuid.NewString()), AuthMethod: auth.MethodPassword,
		AMR: []string{auth.MethodPassword}, CreatedAt: now, LastActiveAt: now, ExpiresAt: now.Add(time.Hour),
		ReauthenticatedAt: now}
	must(t, b.db.CreateSession(ctx, s))
	return s
}

func (b testBundle) live(s auth.Session) bool {
	_, _, err := b.db.FindSessionByTokenHash(ctx, s.TokenHash)
	return err == nil
}

func (b testBundle) passwordIs(t *testing.T, id uuid.UUID, password string) bool {
	t.Helper()
	u, err := b.db.FindUserByID(ctx, id)
	must(t, err)
	ok, _, err := b.hasher.Verify(password, u.PasswordHash)
	must(t, err)
	return ok
}

// resetToken asks for a reset for u and delivers the email.
func (b testBundle) resetToken(t *testing.T, u auth.User) string {
	t.Helper()
	before := len(b.jobs(ports.EmailPasswordReset))
	must(t, b.svc.ForgotPassword(ctx, u.Email, clientIP))
	jobs := b.jobs(ports.EmailPasswordReset)
	if len(jobs) != before+1 || jobs[len(jobs)-1].UserID != u.ID {
		t.Fatalf("forgot password enqueued %v, want one reset job for %v", jobs[before:], u.ID)
	}
	e := b.send(t, jobs[len(jobs)-1])
	if e.To != u.Email {
		t.Fatalf("reset email to %q, want %q", e.To, u.Email)
	}
	return token(t, e, "/reset-password")
}

func TestForgotPassword(t *testing.T) {
	t.Parallel()
	t.Run("UnknownAddressAnswersAlikeAndSendsNothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.user(t, "known@example.com")
		for _, email := range []string{"unknown@example.com", "", "not an address", string(make([]byte, 300))} {
			must(t, b.svc.ForgotPassword(ctx, email, clientIP))
		}
		must(t, b.svc.ForgotPassword(ctx, "  KNOWN@example.com ", clientIP))
		if jobs := b.jobs(ports.EmailPasswordReset); len(jobs) != 1 {
			t.Fatalf("reset jobs = %v, want one, for the known address", jobs)
		}
	})
	t.Run("AccountLimitDropsQuietly", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u := b.user(t, "often@example.com")
		for i := range 5 {
			must(t, b.svc.ForgotPassword(ctx, u.Email, netip.AddrFrom4([4]byte{198, 51, 100, byte(i)})))
			b.clock.Advance(time.Minute)
		}
		if n := len(b.jobs(ports.EmailPasswordReset)); n != 3 {
			t.Fatalf("%d reset jobs in an hour, want 3", n)
		}
		// Dropped requests do not keep the account closed: an hour after the
		// first, a slot is free again even though requests kept coming.
		b.clock.Advance(time.Hour - 5*time.Minute)
		must(t, b.svc.ForgotPassword(ctx, u.Email, clientIP))
		if n := len(b.jobs(ports.EmailPasswordReset)); n != 4 {
			t.Fatalf("%d reset jobs, want a fourth once the hour passed", n)
		}
	})
	t.Run("IPLimitRefusesLoudly", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for range 20 {
			must(t, b.svc.ForgotPassword(ctx, "nobody@example.com", clientIP))
		}
		err := b.svc.ForgotPassword(ctx, "nobody@example.com", clientIP)
		wantErr(t, err, auth.ErrRateLimited)
		var e *auth.Error
		if errors.As(err, &e); e.RetryAfter != time.Hour {
			t.Fatalf("RetryAfter = %v, want 1h", e.RetryAfter)
		}
		// The same client through an IPv4-mapped address is the same client.
		wantErr(t, b.svc.ForgotPassword(ctx, "nobody@example.com", netip.AddrFrom16(clientIP.As16())), auth.ErrRateLimited)
		must(t, b.svc.ForgotPassword(ctx, "nobody@example.com", netip.MustParseAddr("203.0.113.10")))
	})
}

func TestResetPassword(t *testing.T) {
	t.Parallel()
	t.Run("SetsPasswordRevokesEverySessionVerifiesAddress", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u := b.user(t, "reset@example.com")
		laptop, phone := b.session(t, u), b.session(t, u)
		tok := b.resetToken(t, u)
		wantErr(t, b.svc.ResetPassword(ctx, tok, "short"), auth.ErrWeakPassword)
		if !b.live(laptop) || !b.passwordIs(t, u.ID, "old password 123") {
			t.Fatal("a refused reset changed something")
		}
		must(t, b.svc.ResetPassword(ctx, tok, "brand new password"))
		if b.live(laptop) || b.live(phone) {
			t.Fatal("a session survived the reset")
		}
		if !b.passwordIs(t, u.ID, "brand new password") {
			t.Fatal("password not changed")
		}
		if got, _ := b.db.FindUserByID(ctx, u.ID); !got.EmailVerified {
			t.Fatal("the reset link proved the address, yet it is not verified")
		}
		wantErr(t, b.svc.ResetPassword(ctx, tok, "another new password"), auth.ErrInvalidToken)
	})
	t.Run("ExpiresAfterAnHour", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u := b.user(t, "slow@example.com")
		tok := b.resetToken(t, u)
		b.clock.Advance(time.Hour)
		wantErr(t, b.svc.ResetPassword(ctx, tok, "brand new password"), auth.ErrInvalidToken)
	})
	t.Run("TokenForAnOldAddressIsInvalid", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u := b.user(t, "was@example.com")
		tok := b.resetToken(t, u)
		must(t, b.db.UpdateEmail(ctx, u.ID, "is@example.com", true, b.clock.Now()))
		wantErr(t, b.svc.ResetPassword(ctx, tok, "brand new password"), auth.ErrInvalidToken)
		if !b.passwordIs(t, u.ID, "old password 123") {
			t.Fatal("a token sent to the old address reset the password")
		}
	})
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.user(t, "change@example.com")
	current, other := b.session(t, u), b.session(t, u)
	wantErr(t, b.svc.ChangePassword(ctx, u.ID, current.ID, "short"), auth.ErrWeakPassword)
	if !b.live(other) {
		t.Fatal("a refused change revoked a session")
	}
	must(t, b.svc.ChangePassword(ctx, u.ID, current.ID, "brand new password"))
	if !b.live(current) || b.live(other) {
		t.Fatalf("after change: current live %v, other live %v; want only the current", b.live(current), b.live(other))
	}
	if !b.passwordIs(t, u.ID, "brand new password") {
		t.Fatal("password not changed")
	}
}
