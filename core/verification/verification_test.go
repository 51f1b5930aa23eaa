package verification_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/adapters/argon2id"
	"authd/adapters/memory"
	"authd/core/auth"
	"authd/core/verification"
	"authd/ports"
)

type testBundle struct {
	db     *memory.DB
	clock  *memory.Clock
	hasher *argon2id.Hasher
	svc    *verification.Service
}

// policy is a stand-in for the accounts rules: enough of them to tell that
// the service applies whatever policy it is given.
type policy struct{ hasher ports.PasswordHasher }

func (policy) NormalizeEmail(raw string) (string, error) {
	e := strings.TrimSpace(raw)
	if !strings.Contains(e, "@") || strings.ContainsAny(e, " ") {
		return "", auth.ErrInvalidEmail
	}
	return e, nil
}

func (p policy) HashNewPassword(password, _ string) (string, error) {
	if len(password) < 8 {
		return "", auth.ErrWeakPassword
	}
	return p.hasher.Hash(password)
}

// revoker ends sessions straight in the store, as *session.Service does.
type revoker struct {
	db    *memory.DB
	clock ports.Clock
}

func (r revoker) RevokeAll(ctx context.Context, userID uuid.UUID) (int, error) {
	return r.db.RevokeSessionsByUser(ctx, userID, uuid.Nil, r.clock.Now())
}

func (r revoker) RevokeOthers(ctx context.Context, userID, keep uuid.UUID) (int, error) {
	return r.db.RevokeSessionsByUser(ctx, userID, keep, r.clock.Now())
}

var appURL, _ = url.Parse("https://app.example.com/base")

func setup(t *testing.T) testBundle {
	t.Helper()
	db := memory.New()
	clock := memory.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	hasher := argon2id.New(argon2id.Params{MemoryKiB: 64, Time: 1, Threads: 1}, 2)
	svc := verification.New(verification.Deps{Users: db, Verifications: db, Requests: db, Changes: db, Tx: db,
		Jobs: db, Policy: policy{hasher}, Sessions: revoker{db, clock}, Clock: clock, Random: rand.Reader},
		verification.Config{AppURL: appURL, VerifyTTL: 24 * time.Hour, ResetTTL: time.Hour})
	return testBundle{db: db, clock: clock, hasher: hasher, svc: svc}
}

var ctx = context.Background()

// user creates an unverified account with a password.
func (b testBundle) user(t *testing.T, email string) auth.User {
	t.Helper()
	hash, err := b.hasher.Hash("old password 123")
	must(t, err)
	now := b.clock.Now()
	u := auth.User{ID: uuid.New(), Email: email, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	must(t, b.db.CreateUser(ctx, u))
	return u
}

// send runs the composer the worker would for job and returns the email.
func (b testBundle) send(t *testing.T, job ports.SendEmailJob) ports.Email {
	t.Helper()
	compose := map[ports.EmailKind]func(context.Context, ports.SendEmailJob) (ports.Email, error){
		ports.EmailVerify:        b.svc.ComposeVerifyEmail,
		ports.EmailPasswordReset: b.svc.ComposePasswordReset,
		ports.EmailChangeVerify:  b.svc.ComposeEmailChange,
		ports.EmailChangedNotice: b.svc.ComposeEmailChanged,
	}[job.Email]
	e, err := compose(ctx, job)
	must(t, err)
	if e.Kind != job.Email {
		t.Fatalf("composed a %s email for a %s job", e.Kind, job.Email)
	}
	return e
}

// token takes the token out of an email's link, checking the link's shape.
func token(t *testing.T, e ports.Email, path string) string {
	t.Helper()
	prefix := "https://app.example.com/base" + path + "?token="
	link := e.Vars["link"]
	tok, ok := strings.CutPrefix(link, prefix)
	if !ok || len(tok) != 43 || strings.ContainsAny(tok, "+/=") {
		t.Fatalf("link %q: want %s and a 43-character base64url token", link, prefix)
	}
	return tok
}

// verifyToken sends the user a verification email and returns its token.
func (b testBundle) verifyToken(t *testing.T, u auth.User) string {
	t.Helper()
	e := b.send(t, ports.SendEmailJob{UserID: u.ID, Email: ports.EmailVerify})
	if e.To != u.Email {
		t.Fatalf("verification email to %q, want %q", e.To, u.Email)
	}
	return token(t, e, "/verify-email")
}

// jobs returns the committed jobs of kind.
func (b testBundle) jobs(kind ports.EmailKind) []ports.SendEmailJob {
	var out []ports.SendEmailJob
	for _, j := range b.db.Jobs() {
		if e, ok := j.Args.(ports.SendEmailJob); ok && e.Email == kind {
			out = append(out, e)
		}
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	t.Run("TokenVerifiesOnceThenIsInvalid", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u := b.user(t, "Ada@Example.com")
		tok := b.verifyToken(t, u)
		got, err := b.svc.Verify(ctx, tok)
		must(t, err)
		if got.ID != u.ID || !got.EmailVerified {
			t.Fatalf("Verify = %+v, want %v verified", got, u.ID)
		}
		_, err = b.svc.Verify(ctx, tok)
		wantErr(t, err, auth.ErrInvalidToken)
	})
	t.Run("ExpiresAfterVerifyTTL", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		early, late := b.verifyToken(t, b.user(t, "early@example.com")), b.verifyToken(t, b.user(t, "late@example.com"))
		b.clock.Advance(24*time.Hour - time.Second)
		_, err := b.svc.Verify(ctx, early)
		must(t, err)
		b.clock.Advance(time.Second)
		_, err = b.svc.Verify(ctx, late)
		wantErr(t, err, auth.ErrInvalidToken)
	})
	t.Run("NewTokenVoidsOlder", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u := b.user(t, "twice@example.com")
		first, second := b.verifyToken(t, u), b.verifyToken(t, u)
		_, err := b.svc.Verify(ctx, first)
		wantErr(t, err, auth.ErrInvalidToken)
		_, err = b.svc.Verify(ctx, second)
		must(t, err)
	})
	t.Run("MalformedAndUnknownTokensAreInvalid", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, tok := range []string{"", "short", strings.Repeat("*", 43), strings.Repeat("A", 43), strings.Repeat("A", 44)} {
			_, err := b.svc.Verify(ctx, tok)
			wantErr(t, err, auth.ErrInvalidToken)
		}
	})
	t.Run("TokenForAnOldAddressIsInvalid", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u := b.user(t, "before@example.com")
		tok := b.verifyToken(t, u)
		must(t, b.db.UpdateEmail(ctx, u.ID, "after@example.com", false, b.clock.Now()))
		_, err := b.svc.Verify(ctx, tok)
		wantErr(t, err, auth.ErrInvalidToken)
		got, _ := b.db.FindUserByID(ctx, u.ID)
		if got.EmailVerified {
			t.Fatal("a token sent to the old address verified the new one")
		}
	})
	t.Run("ConcurrentVerifiesOneWins", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tok := b.verifyToken(t, b.user(t, "race@example.com"))
		const n = 8
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				_, err := b.svc.Verify(ctx, tok)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		won := 0
		for err := range errs {
			if err == nil {
				won++
			} else if !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("a losing verify failed with %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d of %d concurrent verifies succeeded, want 1", won, n)
		}
	})
	t.Run("ComposerCancelsWhenNothingIsLeftToSend", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u := b.user(t, "done@example.com")
		_, err := b.svc.Verify(ctx, b.verifyToken(t, u))
		must(t, err)
		_, err = b.svc.ComposeVerifyEmail(ctx, ports.SendEmailJob{UserID: u.ID, Email: ports.EmailVerify})
		wantErr(t, err, auth.ErrNotFound)
		_, err = b.svc.ComposeVerifyEmail(ctx, ports.SendEmailJob{UserID: uuid.New(), Email: ports.EmailVerify})
		wantErr(t, err, auth.ErrNotFound)
		_, err = b.svc.ComposePasswordReset(ctx, ports.SendEmailJob{UserID: uuid.New(), Email: ports.EmailPasswordReset})
		wantErr(t, err, auth.ErrNotFound)
	})
}

func TestPurposeBinding(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.user(t, "purpose@example.com")
	verifyTok := b.verifyToken(t, u)
	resetTok := token(t, b.send(t, ports.SendEmailJob{UserID: u.ID, Email: ports.EmailPasswordReset}), "/reset-password")
	t.Run("VerificationTokenCannotResetAPassword", func(t *testing.T) {
		wantErr(t, b.svc.ResetPassword(ctx, verifyTok, "brand new password"), auth.ErrInvalidToken)
	})
	t.Run("ResetTokenCannotVerifyAnAddress", func(t *testing.T) {
		_, err := b.svc.Verify(ctx, resetTok)
		wantErr(t, err, auth.ErrInvalidToken)
	})
	t.Run("BothStillServeTheirOwnPurpose", func(t *testing.T) {
		_, err := b.svc.Verify(ctx, verifyTok)
		must(t, err)
		must(t, b.svc.ResetPassword(ctx, resetTok, "brand new password"))
	})
}

func TestResend(t *testing.T) {
	t.Parallel()
	t.Run("OneAMinuteFiveADay", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u := b.user(t, "resend@example.com")
		must(t, b.svc.Resend(ctx, u.ID))
		b.clock.Advance(20 * time.Second)
		err := b.svc.Resend(ctx, u.ID)
		wantErr(t, err, auth.ErrRateLimited)
		var e *auth.Error
		if !errors.As(err, &e) || e.RetryAfter != 40*time.Second {
			t.Fatalf("RetryAfter = %v, want 40s", e.RetryAfter)
		}
		for range 4 {
			b.clock.Advance(time.Minute)
			must(t, b.svc.Resend(ctx, u.ID))
		}
		b.clock.Advance(time.Hour)
		err = b.svc.Resend(ctx, u.ID)
		wantErr(t, err, auth.ErrRateLimited)
		// The first of the five leaves the day 24 h after it was made.
		if errors.As(err, &e); e.RetryAfter != 24*time.Hour-(20*time.Second+4*time.Minute+time.Hour) {
			t.Fatalf("RetryAfter = %v", e.RetryAfter)
		}
		if n := len(b.jobs(ports.EmailVerify)); n != 5 {
			t.Fatalf("%d verification jobs, want one per allowed resend (5)", n)
		}
		b.clock.Advance(e.RetryAfter)
		must(t, b.svc.Resend(ctx, u.ID))
	})
	t.Run("VerifiedAddressIsRefused", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u := b.user(t, "verified@example.com")
		_, err := b.svc.Verify(ctx, b.verifyToken(t, u))
		must(t, err)
		wantErr(t, b.svc.Resend(ctx, u.ID), auth.ErrAlreadyVerified)
		if n := len(b.jobs(ports.EmailVerify)); n != 0 {
			t.Fatalf("%d jobs for a verified address", n)
		}
	})
}

func TestCleanup(t *testing.T) {
	t.Parallel()
	b := setup(t)
	used, expired, live := b.user(t, "used@example.com"), b.user(t, "expired@example.com"), b.user(t, "live@example.com")
	_, err := b.svc.Verify(ctx, b.verifyToken(t, used))
	must(t, err)
	expiredTok := b.verifyToken(t, expired)
	must(t, b.svc.Resend(ctx, live.ID))
	b.clock.Advance(47 * time.Hour) // expired's token: expired 23 h ago, kept
	liveTok := b.verifyToken(t, live)
	tokens, requests, err := b.svc.Cleanup(ctx)
	must(t, err)
	if tokens != 1 || requests != 0 {
		t.Fatalf("Cleanup = %d tokens, %d requests; want the used token only", tokens, requests)
	}
	b.clock.Advance(2 * time.Hour) // expired's token: 25 h; the resend: 49 h
	tokens, requests, err = b.svc.Cleanup(ctx)
	must(t, err)
	if tokens != 1 || requests != 1 {
		t.Fatalf("Cleanup = %d tokens, %d requests; want the long-expired token and the old request", tokens, requests)
	}
	_, err = b.svc.Verify(ctx, expiredTok)
	wantErr(t, err, auth.ErrInvalidToken)
	_, err = b.svc.Verify(ctx, liveTok)
	must(t, err)
}
