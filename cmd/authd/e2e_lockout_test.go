package main

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"authd/adapters/memory"
	"authd/adapters/postgres/pgtest"
	"authd/adapters/smtpmail/smtptest"
)

const (
	lockPassword  = "a password worth guessing"
	subjectLocked = "Your authd account is temporarily locked"
)

// startLockout runs authd with a clock the test moves (the delays and the
// lock pass without sleeping) and an SMTP server for the owner's email.
func startLockout(t *testing.T, env map[string]string) (*instance, *smtptest.Server, *memory.Clock) {
	t.Helper()
	srv := smtptest.Start(t)
	clock := memory.NewClock(time.Now().UTC().Truncate(time.Second))
	vars := map[string]string{"AUTHD_SMTP_URL": srv.URL(), "AUTHD_APP_URL": emailAppURL}
	for k, v := range env {
		vars[k] = v
	}
	return startAuthdWith(t, context.WithValue(context.Background(), clockKey{}, clock), pgtest.New(t), vars), srv, clock
}

func (b *browser) tryLogin(email, password string) response {
	b.t.Helper()
	return b.do("POST", "/v1/login", map[string]any{"email": email, "password": password})
}

// retryAfter is the response's Retry-After in seconds.
func retryAfter(t *testing.T, r response) int {
	t.Helper()
	n, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil {
		t.Fatalf("Retry-After = %q, want whole seconds", r.Header.Get("Retry-After"))
	}
	return n
}

// failTen makes ten wrong logins under the default policy: five at once,
// then each after the delay the refusal names (1, 2, 4, 8, 16 s). The tenth
// locks the account.
func failTen(t *testing.T, b *browser, clock *memory.Clock, email string) {
	t.Helper()
	for i := 1; i <= 10; i++ {
		if i > 5 {
			r := b.tryLogin(email, "wrong password "+strconv.Itoa(i)).want(t, http.StatusTooManyRequests, "rate_limited")
			if got, want := retryAfter(t, r), 1<<(i-6); got != want {
				t.Fatalf("attempt %d during the delay: Retry-After %d, want %d", i, got, want)
			}
			clock.Advance(time.Duration(retryAfter(t, r)) * time.Second)
		}
		b.tryLogin(email, "wrong password "+strconv.Itoa(i)).want(t, http.StatusUnauthorized, "invalid_credentials")
	}
}

// TestLockoutEndToEnd is the "must show": eleven wrong passwords
// answer 429 with Retry-After, the right one is refused until the lock
// ends, and a password reset works all along.
func TestLockoutEndToEnd(t *testing.T) {
	t.Parallel()
	// The per-IP login limit is not what this test is about.
	in, srv, clock := startLockout(t, map[string]string{"AUTHD_RATE_LIMIT_LOGIN": "off"})
	attacker := in.browser("curl/8.5.0")

	t.Run("TheRightPasswordIsRefusedUntilTheLockEnds", func(t *testing.T) {
		owner := in.browser("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
		owner.do("POST", "/v1/signup", map[string]any{"email": "alice@example.com", "password": lockPassword}).
			want(t, http.StatusCreated)
		failTen(t, attacker, clock, "alice@example.com")
		lockedAt := clock.Now()
		wrong := attacker.tryLogin("alice@example.com", "wrong password 11").want(t, http.StatusTooManyRequests, "rate_limited")
		if got := retryAfter(t, wrong); got != 900 {
			t.Fatalf("eleventh wrong password: Retry-After %d, want 900 (15 minutes)", got)
		}
		right := attacker.tryLogin("alice@example.com", lockPassword).want(t, http.StatusTooManyRequests, "rate_limited")
		if string(right.body) != string(wrong.body) || right.Header.Get("Retry-After") != "900" {
			t.Fatalf("the right password was answered otherwise than a wrong one:\n%s\n%s", right.body, wrong.body)
		}
		// The owner's browser, already signed in, is not locked out.
		owner.do("GET", "/v1/me", nil).want(t, http.StatusOK)

		m := waitEmail(t, srv, "alice@example.com", subjectLocked)
		until := lockedAt.Add(15 * time.Minute).UTC().Format(time.RFC1123)
		if !strings.Contains(m.Text, until) || !strings.Contains(m.Text, emailAppURL+"/forgot-password") ||
			!strings.Contains(m.HTML, emailAppURL+"/forgot-password") {
			t.Fatalf("locked email lacks %q or the reset link:\n%s", until, m.Text)
		}
		if n := in.scalar(t, `SELECT count(*) FROM river_job WHERE args->>'email' = 'account_locked'`); n != 1 {
			t.Fatalf("%d locked emails queued, want exactly one", n)
		}

		clock.Advance(15*time.Minute - time.Second)
		last := attacker.tryLogin("alice@example.com", lockPassword).want(t, http.StatusTooManyRequests, "rate_limited")
		if got := retryAfter(t, last); got != 1 {
			t.Fatalf("a second before the end: Retry-After %d, want 1", got)
		}
		clock.Advance(time.Second)
		owner.tryLogin("alice@example.com", lockPassword).want(t, http.StatusOK)
		events := owner.do("GET", "/v1/account/activity", nil).want(t, http.StatusOK).json(t)["events"].([]any)
		found := false
		for _, e := range events {
			found = found || e.(map[string]any)["kind"] == "account_locked"
		}
		if !found {
			t.Fatalf("the activity does not show the lock: %v", events)
		}
	})

	t.Run("PasswordResetWorksWhileLockedAndLiftsTheLock", func(t *testing.T) {
		owner := in.browser("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)")
		owner.do("POST", "/v1/signup", map[string]any{"email": "bob@example.com", "password": lockPassword}).
			want(t, http.StatusCreated)
		failTen(t, attacker, clock, "bob@example.com")
		owner.tryLogin("bob@example.com", lockPassword).want(t, http.StatusTooManyRequests, "rate_limited")

		owner.do("POST", "/v1/password/forgot", map[string]any{"email": "bob@example.com"}).want(t, http.StatusAccepted)
		token := linkToken(t, waitEmail(t, srv, "bob@example.com", subjectReset), "/reset-password")
		owner.do("POST", "/v1/password/reset", map[string]any{"token": token, "new_password": "a brand new passphrase"}).
			want(t, http.StatusNoContent)
		// At once, without waiting out the lock; and the run starts afresh.
		owner.tryLogin("bob@example.com", "a brand new passphrase").want(t, http.StatusOK)
		attacker.tryLogin("bob@example.com", lockPassword).want(t, http.StatusUnauthorized, "invalid_credentials")
	})
}

// TestPerIPLimitsFollowTheClientIP sends requests through a trusted proxy:
// each limit counts the client named in X-Forwarded-For, an IPv6 client by
// its /64.
func TestPerIPLimitsFollowTheClientIP(t *testing.T) {
	t.Parallel()
	in, _, clock := startLockout(t, map[string]string{"AUTHD_TRUSTED_PROXIES": "127.0.0.1/32",
		"AUTHD_RATE_LIMIT_LOGIN": "3/1m", "AUTHD_RATE_LIMIT_SIGNUP": "2/1h", "AUTHD_RATE_LIMIT_STEP_UP": "2/1m",
		"AUTHD_RATE_LIMIT_RESEND": "2/1h", "AUTHD_RATE_LIMIT_FORGOT": "1/1h"})
	from := func(ip string) *browser {
		b := in.browser("curl/8.5.0")
		b.headers["X-Forwarded-For"] = ip
		return b
	}
	limited := func(t *testing.T, r response, window int) {
		t.Helper()
		r.want(t, http.StatusTooManyRequests, "rate_limited")
		if s := retryAfter(t, r); s < 1 || s > window {
			t.Fatalf("Retry-After %d, want within the %d s window", s, window)
		}
	}

	t.Run("Login", func(t *testing.T) {
		for _, ips := range [][2]string{{"198.51.100.1", "198.51.100.1"}, {"2001:db8:1:1::1", "2001:db8:1:1:ffff::2"}} {
			for i := range 3 {
				from(ips[i%2]).tryLogin("nobody@example.com", lockPassword).want(t, http.StatusUnauthorized, "invalid_credentials")
			}
			limited(t, from(ips[1]).tryLogin("nobody@example.com", lockPassword), 60)
			limited(t, from(ips[0]).do("POST", "/v1/login/mfa", map[string]any{"mfa_token": "x", "code": "123456"}), 60)
		}
		from("198.51.100.2").tryLogin("nobody@example.com", lockPassword).want(t, http.StatusUnauthorized, "invalid_credentials")
		from("2001:db8:1:2::1").tryLogin("nobody@example.com", lockPassword).want(t, http.StatusUnauthorized, "invalid_credentials")
		clock.Advance(time.Minute)
		from("198.51.100.1").tryLogin("nobody@example.com", lockPassword).want(t, http.StatusUnauthorized, "invalid_credentials")
	})

	t.Run("SignupResendAndStepUp", func(t *testing.T) {
		var users []*browser
		for i, ip := range []string{"203.0.113.1", "203.0.113.1", "203.0.113.2"} {
			b := from(ip)
			b.do("POST", "/v1/signup", map[string]any{"email": "user" + strconv.Itoa(i) + "@example.com", "password": lockPassword}).
				want(t, http.StatusCreated)
			users = append(users, b)
		}
		limited(t, from("203.0.113.1").do("POST", "/v1/signup", map[string]any{"email": "extra@example.com", "password": lockPassword}), 3600)

		// Three users behind one address: the third resend is the client's third.
		for _, b := range users {
			b.headers["X-Forwarded-For"] = "203.0.113.50"
		}
		users[0].do("POST", "/v1/email/verify/resend", nil).want(t, http.StatusAccepted)
		users[1].do("POST", "/v1/email/verify/resend", nil).want(t, http.StatusAccepted)
		limited(t, users[2].do("POST", "/v1/email/verify/resend", nil), 3600)
		users[2].headers["X-Forwarded-For"] = "203.0.113.51"
		users[2].do("POST", "/v1/email/verify/resend", nil).want(t, http.StatusAccepted)

		for range 2 {
			users[0].do("POST", "/v1/step-up", map[string]any{"password": "not it"}).want(t, http.StatusUnauthorized, "invalid_credentials")
		}
		limited(t, users[0].do("POST", "/v1/step-up", map[string]any{"password": lockPassword}), 60)
		users[0].headers["X-Forwarded-For"] = "203.0.113.52"
		users[0].do("POST", "/v1/step-up", map[string]any{"password": lockPassword}).want(t, http.StatusOK)
	})

	t.Run("ForgotPassword", func(t *testing.T) {
		from("192.0.2.1").do("POST", "/v1/password/forgot", map[string]any{"email": "nobody@example.com"}).want(t, http.StatusAccepted)
		limited(t, from("192.0.2.1").do("POST", "/v1/password/forgot", map[string]any{"email": "nobody@example.com"}), 3600)
		from("192.0.2.2").do("POST", "/v1/password/forgot", map[string]any{"email": "nobody@example.com"}).want(t, http.StatusAccepted)
	})
}

// TestTwoProcessesShareTheCounters runs two API processes on one database:
// a client cannot double its limit, nor an attacker its guesses, by
// spreading requests over them.
func TestTwoProcessesShareTheCounters(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	clock := memory.NewClock(time.Now().UTC().Truncate(time.Second))
	ctx := context.WithValue(context.Background(), clockKey{}, clock)
	env := map[string]string{"AUTHD_TRUSTED_PROXIES": "127.0.0.1/32", "AUTHD_RATE_LIMIT_LOGIN": "4/1m"}
	first := startAuthdWith(t, ctx, db, env)
	second := startAuthdWith(t, ctx, db, env, "serve", "--no-worker", "--no-migrate")
	via := func(in *instance, ip string) *browser {
		b := in.browser("curl/8.5.0")
		b.headers["X-Forwarded-For"] = ip
		return b
	}

	t.Run("PerIPLimit", func(t *testing.T) {
		for i := range 4 {
			in := []*instance{first, second}[i%2]
			via(in, "198.51.100.9").tryLogin("nobody@example.com", lockPassword).want(t, http.StatusUnauthorized, "invalid_credentials")
		}
		via(first, "198.51.100.9").tryLogin("nobody@example.com", lockPassword).want(t, http.StatusTooManyRequests, "rate_limited")
		via(second, "198.51.100.9").tryLogin("nobody@example.com", lockPassword).want(t, http.StatusTooManyRequests, "rate_limited")
	})

	t.Run("AccountLockout", func(t *testing.T) {
		via(first, "203.0.113.99").do("POST", "/v1/signup", map[string]any{"email": "shared@example.com", "password": lockPassword}).
			want(t, http.StatusCreated)
		// Every guess from another address and through the other process:
		// the account's run counts them all.
		for i := 1; i <= 10; i++ {
			b := via([]*instance{first, second}[i%2], "192.0.2."+strconv.Itoa(i))
			if i > 5 {
				r := b.tryLogin("shared@example.com", "wrong").want(t, http.StatusTooManyRequests, "rate_limited")
				clock.Advance(time.Duration(retryAfter(t, r)) * time.Second)
			}
			b.tryLogin("shared@example.com", "wrong").want(t, http.StatusUnauthorized, "invalid_credentials")
		}
		for _, in := range []*instance{first, second} {
			r := via(in, "192.0.2.200").tryLogin("shared@example.com", lockPassword).want(t, http.StatusTooManyRequests, "rate_limited")
			if got := retryAfter(t, r); got != 900 {
				t.Fatalf("Retry-After %d, want 900", got)
			}
		}
		if n := first.scalar(t, `SELECT count(*) FROM river_job WHERE args->>'email' = 'account_locked'`); n != 1 {
			t.Fatalf("%d locked emails queued by two processes, want exactly one", n)
		}
	})
}

// TestThrottleRowsAreCleanedUpPeriodically checks that the worker deletes
// ended request windows and forgotten runs, and keeps the live ones.
func TestThrottleRowsAreCleanedUpPeriodically(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := pgtest.New(t)
	now := time.Now().UTC()
	for _, sql := range []string{`
		INSERT INTO users (id, email, created_at, updated_at) VALUES
			('00000000-0000-0000-0000-00000000000a', 'stale@example.com', $1, $1),
			('00000000-0000-0000-0000-00000000000b', 'live@example.com', $1, $1)`, `
		INSERT INTO account_lockouts (user_id, failures, last_attempt_at, last_failure_at) VALUES
			('00000000-0000-0000-0000-00000000000a', 3, $1::timestamptz - interval '48 hours', $1::timestamptz - interval '48 hours'),
			('00000000-0000-0000-0000-00000000000b', 3, $1, $1)`, `
		INSERT INTO rate_limits (key, window_start, count) VALUES
			('login 203.0.113.1', $1::timestamptz - interval '3 hours', 30),
			('signup 203.0.113.1', date_trunc('hour', $1::timestamptz), 2)`} {
		if _, err := pg.Pool.Exec(ctx, sql, now); err != nil {
			t.Fatal(err)
		}
	}
	in := startAuthdOn(t, pg, nil)
	eventually(t, "a completed throttle cleanup job", func() bool {
		return in.scalar(t, `SELECT count(*) FROM river_job WHERE kind = 'cleanup_throttle' AND state = 'completed'`) > 0
	})
	if n := in.scalar(t, `SELECT count(*) FROM account_lockouts WHERE user_id = '00000000-0000-0000-0000-00000000000b'`); n != 1 ||
		in.scalar(t, `SELECT count(*) FROM account_lockouts`) != 1 {
		t.Fatal("the cleanup kept the stale run or deleted the live one")
	}
	if n := in.scalar(t, `SELECT count(*) FROM rate_limits`); n != 1 ||
		in.scalar(t, `SELECT count(*) FROM rate_limits WHERE key LIKE 'signup %'`) != 1 {
		t.Fatal("the cleanup kept the ended window or deleted the current one")
	}
}
