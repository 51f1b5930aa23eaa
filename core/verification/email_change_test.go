package verification_test

import (
	"testing"
	"time"

	"authd/core/auth"
	"authd/ports"
)

// changeToken asks for u's address to become newEmail and delivers the
// confirmation email, checking where it went.
func (b testBundle) changeToken(t *testing.T, u auth.User, newEmail string) string {
	t.Helper()
	must(t, b.svc.ChangeEmail(ctx, u.ID, newEmail))
	jobs := b.jobs(ports.EmailChangeVerify)
	if len(jobs) == 0 || jobs[len(jobs)-1].UserID != u.ID {
		t.Fatalf("email change enqueued %v", jobs)
	}
	e := b.send(t, jobs[len(jobs)-1])
	if e.To != newEmail || e.Vars["new_email"] != newEmail {
		t.Fatalf("confirmation email to %q about %q, want both %q", e.To, e.Vars["new_email"], newEmail)
	}
	return token(t, e, "/verify-email")
}

// notices delivers every email_changed notice enqueued so far.
func (b testBundle) notices(t *testing.T) []ports.Email {
	t.Helper()
	var out []ports.Email
	for _, j := range b.jobs(ports.EmailChangedNotice) {
		out = append(out, b.send(t, j))
	}
	return out
}

func TestChangeEmail(t *testing.T) {
	t.Parallel()
	t.Run("ChangesOnlyOnVerifyAndTellsTheOldAddress", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u := b.user(t, "old@example.com")
		oldVerify := b.verifyToken(t, u)
		tok := b.changeToken(t, u, "New@Example.com")
		if got, _ := b.db.FindUserByID(ctx, u.ID); got.Email != "old@example.com" {
			t.Fatalf("address changed to %q before the new one was confirmed", got.Email)
		}
		if n := len(b.notices(t)); n != 0 {
			t.Fatalf("%d notices before the change", n)
		}
		got, err := b.svc.Verify(ctx, tok)
		must(t, err)
		if got.Email != "New@Example.com" || !got.EmailVerified {
			t.Fatalf("after verify: %+v", got)
		}
		notices := b.notices(t)
		if len(notices) != 1 || notices[0].To != "old@example.com" || notices[0].Vars["new_email"] != "New@Example.com" {
			t.Fatalf("notices = %+v, want one to the old address naming the new", notices)
		}
		_, err = b.svc.Verify(ctx, tok)
		wantErr(t, err, auth.ErrInvalidToken)
		_, err = b.svc.Verify(ctx, oldVerify)
		wantErr(t, err, auth.ErrInvalidToken)
	})
	t.Run("EachChangeTellsItsOwnOldAddress", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u := b.user(t, "first@example.com")
		_, err := b.svc.Verify(ctx, b.changeToken(t, u, "second@example.com"))
		must(t, err)
		b.clock.Advance(time.Minute)
		_, err = b.svc.Verify(ctx, b.changeToken(t, u, "third@example.com"))
		must(t, err)
		notices := b.notices(t)
		if len(notices) != 2 || notices[0].To != "first@example.com" || notices[1].To != "second@example.com" ||
			notices[1].Vars["new_email"] != "third@example.com" {
			t.Fatalf("notices = %+v", notices)
		}
	})
	t.Run("BadOrTakenAddressIsRefused", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u := b.user(t, "me@example.com")
		b.user(t, "taken@example.com")
		wantErr(t, b.svc.ChangeEmail(ctx, u.ID, "not an address"), auth.ErrInvalidEmail)
		wantErr(t, b.svc.ChangeEmail(ctx, u.ID, "TAKEN@example.com"), auth.ErrEmailTaken)
		wantErr(t, b.svc.ChangeEmail(ctx, u.ID, "ME@example.com"), auth.ErrEmailTaken)
		if n := len(b.jobs(ports.EmailChangeVerify)); n != 0 {
			t.Fatalf("%d jobs for refused changes", n)
		}
	})
	t.Run("AddressTakenMeanwhileIsNotApplied", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u := b.user(t, "slowpoke@example.com")
		tok := b.changeToken(t, u, "contested@example.com")
		b.user(t, "contested@example.com")
		_, err := b.svc.Verify(ctx, tok)
		wantErr(t, err, auth.ErrEmailTaken)
		if got, _ := b.db.FindUserByID(ctx, u.ID); got.Email != "slowpoke@example.com" {
			t.Fatalf("address = %q", got.Email)
		}
		if n := len(b.jobs(ports.EmailChangedNotice)); n != 0 {
			t.Fatalf("%d notices for a change that did not happen", n)
		}
		// A retried confirmation email is not sent either.
		_, err = b.svc.ComposeEmailChange(ctx, ports.SendEmailJob{UserID: u.ID, Email: ports.EmailChangeVerify})
		wantErr(t, err, auth.ErrNotFound)
	})
	t.Run("NewRequestVoidsThePendingOne", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u := b.user(t, "fickle@example.com")
		first := b.changeToken(t, u, "one@example.com")
		b.clock.Advance(time.Minute)
		second := b.changeToken(t, u, "two@example.com")
		_, err := b.svc.Verify(ctx, first)
		wantErr(t, err, auth.ErrInvalidToken)
		got, err := b.svc.Verify(ctx, second)
		must(t, err)
		if got.Email != "two@example.com" {
			t.Fatalf("address = %q", got.Email)
		}
	})
	t.Run("LimitedLikeResends", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u := b.user(t, "spammer@example.com")
		must(t, b.svc.ChangeEmail(ctx, u.ID, "victim1@example.com"))
		wantErr(t, b.svc.ChangeEmail(ctx, u.ID, "victim2@example.com"), auth.ErrRateLimited)
	})
}
