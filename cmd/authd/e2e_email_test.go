package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"authd/adapters/memory"
	"authd/adapters/postgres/pgtest"
	"authd/adapters/smtpmail/smtptest"
)

// emailAppURL is where links in emails point: another host than the API's,
// with a path, so a link built from the request would show.
const emailAppURL = "https://app.example.test/account"

const emailPassword = "correct horse battery staple"

// Subjects of the emails these tests wait for.
const (
	subjectVerify  = "Confirm your email address for authd"
	subjectReset   = "Reset your authd password"
	subjectChange  = "Confirm your new email address for authd"
	subjectChanged = "The email address of your authd account was changed"
)

// startWithSMTP runs authd with a real SMTP server in the test and short job
// retries, so an outage test waits milliseconds, not River's seconds.
func startWithSMTP(t *testing.T, env map[string]string, args ...string) (*instance, *smtptest.Server) {
	t.Helper()
	srv := smtptest.Start(t)
	vars := map[string]string{"AUTHD_SMTP_URL": srv.URL(), "AUTHD_APP_URL": emailAppURL, "AUTHD_JOB_RETRY_BASE": "20ms"}
	for k, v := range env {
		vars[k] = v
	}
	return startAuthd(t, vars, args...), srv
}

// waitEmail returns the next email to to with subject, skipping others (a
// new-device alert, say) that arrive meanwhile.
func waitEmail(t *testing.T, srv *smtptest.Server, to, subject string) smtptest.Message {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		m := srv.WaitFor(t, to, time.Until(deadline))
		if m.Subject == subject {
			return m
		}
	}
}

var tokenInLink = regexp.MustCompile(`\?token=([A-Za-z0-9_-]+)`)

// linkToken takes the token from the link to path in m's text, checking that
// the link is built from the app URL and that the HTML part carries it too.
func linkToken(t *testing.T, m smtptest.Message, path string) string {
	t.Helper()
	prefix := emailAppURL + path + "?token="
	i := strings.Index(m.Text, prefix)
	if i < 0 {
		t.Fatalf("email %q has no link starting %s:\n%s", m.Subject, prefix, m.Text)
	}
	match := tokenInLink.FindStringSubmatch(m.Text[i:])
	token := match[1]
	if len(token) != 43 {
		t.Fatalf("token %q: want 43 base64url characters (256 bits)", token)
	}
	if !strings.Contains(m.HTML, prefix+token) {
		t.Fatalf("the HTML part lacks the link %s%s", prefix, token)
	}
	return token
}

func (b *browser) signupEmail(t *testing.T, email string) map[string]any {
	t.Helper()
	return b.do("POST", "/v1/signup", map[string]any{"email": email, "password": emailPassword}).
		want(t, http.StatusCreated).json(t)["user"].(map[string]any)
}

func (b *browser) me(t *testing.T) map[string]any {
	t.Helper()
	return b.do("GET", "/v1/me", nil).want(t, http.StatusOK).json(t)
}

// eventually polls cond until it holds, for what happens in the background
// (River works jobs on its own schedule).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within 30s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (in *instance) scalar(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := in.db.Pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestEmailVerificationEndToEnd(t *testing.T) {
	t.Parallel()
	in, srv := startWithSMTP(t, nil)
	b := in.browser("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")

	// The Host header names another site: links must not follow it. (The
	// session comes back as a token: a cookie jar would file a cookie under
	// that host.)
	body, _ := json.Marshal(map[string]any{"email": "Grace@Example.com", "password": emailPassword, "return_token": true})
	req, _ := http.NewRequest("POST", in.base+"/v1/signup", bytes.NewReader(body))
	req.Host = "attacker.example"
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var signup struct {
		Session struct {
			Token string `json:"session_token"`
		} `json:"session"`
	}
	err = json.NewDecoder(resp.Body).Decode(&signup)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("signup = %d, %v", resp.StatusCode, err)
	}
	b.headers["Authorization"] = "Bearer " + signup.Session.Token
	userID := b.me(t)["id"].(string)

	// Unverified: the routes that need a verified address refuse.
	b.do("GET", "/v1/session/check?require=verified", nil).want(t, http.StatusForbidden, "email_unverified")
	b.do("POST", "/v1/mfa/totp/enroll", nil).want(t, http.StatusForbidden, "email_unverified")

	m := waitEmail(t, srv, "Grace@Example.com", subjectVerify)
	token := linkToken(t, m, "/verify-email")
	if strings.Contains(m.Raw, "attacker.example") {
		t.Fatal("the email carries the request's Host")
	}

	t.Run("OnlyTheTokenHashIsStoredAndJobsCarryNoSecret", func(t *testing.T) {
		sum := sha256.Sum256([]byte(token))
		if n := in.scalar(t, `SELECT count(*) FROM email_verifications WHERE user_id = $1 AND token_hash = $2 AND purpose = 'verify_email'`,
			userID, sum[:]); n != 1 {
			t.Fatalf("%d rows hold the token's SHA-256, want 1", n)
		}
		if n := in.scalar(t, `SELECT count(*) FROM email_verifications v WHERE strpos(v::text, $1) > 0`, token); n != 0 {
			t.Fatal("the token is stored in the clear")
		}
		if n := in.scalar(t, `SELECT count(*) FROM river_job WHERE strpos(args::text, $1) > 0 OR strpos(lower(args::text), 'example.com') > 0`,
			token); n != 0 {
			t.Fatal("a job's args carry the token or the address")
		}
	})
	t.Run("GetNeverConsumesTheToken", func(t *testing.T) {
		// Not through b.do: a GET here is outside the contract on purpose.
		resp, err := http.Get(in.base + "/v1/email/verify?token=" + token)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("GET /v1/email/verify = %d, want 405", resp.StatusCode)
		}
		if b.me(t)["email_verified"] != false {
			t.Fatal("a GET verified the address")
		}
	})
	t.Run("TokenVerifiesOnce", func(t *testing.T) {
		// Another device, without a session: the link works wherever it opens.
		phone := in.browser("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)")
		user := phone.do("POST", "/v1/email/verify", map[string]any{"token": token}).want(t, http.StatusOK).json(t)
		if user["id"] != userID || user["email_verified"] != true {
			t.Fatalf("verify answered %v", user)
		}
		if b.me(t)["email_verified"] != true {
			t.Fatal("/v1/me does not show the address verified")
		}
		phone.do("POST", "/v1/email/verify", map[string]any{"token": token}).want(t, http.StatusBadRequest, "invalid_token")
		b.do("POST", "/v1/email/verify/resend", nil).want(t, http.StatusConflict, "already_verified")
	})
	t.Run("VerifiedPassesTheRestriction", func(t *testing.T) {
		r := b.do("GET", "/v1/session/check?require=verified", nil).want(t, http.StatusOK)
		if r.Header.Get("X-Email-Verified") != "true" {
			t.Fatalf("X-Email-Verified = %q", r.Header.Get("X-Email-Verified"))
		}
	})
	t.Run("UnknownAndMalformedTokensAreInvalid", func(t *testing.T) {
		for _, tok := range []string{"", "nope", strings.Repeat("A", 43)} {
			b.do("POST", "/v1/email/verify", map[string]any{"token": tok}).want(t, http.StatusBadRequest, "invalid_token")
		}
	})
	t.Run("ConcurrentVerifiesOfOneTokenOneSucceeds", func(t *testing.T) {
		other := in.browser("curl/8.5.0")
		other.signupEmail(t, "race@example.com")
		token := linkToken(t, waitEmail(t, srv, "race@example.com", subjectVerify), "/verify-email")
		const n = 10
		statuses := make(chan int, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				raw, _ := json.Marshal(map[string]string{"token": token})
				resp, err := http.Post(in.base+"/v1/email/verify", "application/json", bytes.NewReader(raw))
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				statuses <- resp.StatusCode
			})
		}
		wg.Wait()
		close(statuses)
		count := map[int]int{}
		for s := range statuses {
			count[s]++
		}
		if count[http.StatusOK] != 1 || count[http.StatusBadRequest] != n-1 {
			t.Fatalf("statuses %v: want exactly one 200 and %d × 400", count, n-1)
		}
	})
}

func TestResendVoidsTheOlderLinkAndIsLimited(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t)
	clock := memory.NewClock(time.Now().UTC().Truncate(time.Second))
	in := startAuthdWith(t, context.WithValue(context.Background(), clockKey{}, clock), pgtest.New(t),
		map[string]string{"AUTHD_SMTP_URL": srv.URL(), "AUTHD_APP_URL": emailAppURL})
	b := in.browser("Mozilla/5.0")
	b.signupEmail(t, "resend@example.com")
	first := linkToken(t, waitEmail(t, srv, "resend@example.com", subjectVerify), "/verify-email")

	b.do("POST", "/v1/email/verify/resend", nil).want(t, http.StatusAccepted)
	second := linkToken(t, waitEmail(t, srv, "resend@example.com", subjectVerify), "/verify-email")
	clock.Advance(15 * time.Second)
	r := b.do("POST", "/v1/email/verify/resend", nil).want(t, http.StatusTooManyRequests, "rate_limited")
	if r.Header.Get("Retry-After") != "45" {
		t.Fatalf("Retry-After = %q, want 45", r.Header.Get("Retry-After"))
	}
	b.do("POST", "/v1/email/verify", map[string]any{"token": first}).want(t, http.StatusBadRequest, "invalid_token")

	// Unused for a day, the newer link expires too.
	clock.Advance(24 * time.Hour)
	b.do("POST", "/v1/email/verify", map[string]any{"token": second}).want(t, http.StatusBadRequest, "invalid_token")
	b.do("POST", "/v1/email/verify/resend", nil).want(t, http.StatusAccepted)
	third := linkToken(t, waitEmail(t, srv, "resend@example.com", subjectVerify), "/verify-email")
	b.do("POST", "/v1/email/verify", map[string]any{"token": third}).want(t, http.StatusOK)
}

func TestRequireVerifiedLogin(t *testing.T) {
	t.Parallel()
	in, srv := startWithSMTP(t, map[string]string{"AUTHD_REQUIRE_VERIFIED_LOGIN": "true"})
	b := in.browser("Mozilla/5.0")
	b.signupEmail(t, "strict@example.com")
	token := linkToken(t, waitEmail(t, srv, "strict@example.com", subjectVerify), "/verify-email")
	b.do("POST", "/v1/logout", nil).want(t, http.StatusNoContent)
	b.do("POST", "/v1/login", map[string]any{"email": "strict@example.com", "password": emailPassword}).
		want(t, http.StatusForbidden, "email_unverified")
	b.do("POST", "/v1/login", map[string]any{"email": "strict@example.com", "password": "wrong password 123"}).
		want(t, http.StatusUnauthorized, "invalid_credentials")
	b.do("POST", "/v1/email/verify", map[string]any{"token": token}).want(t, http.StatusOK)
	b.do("POST", "/v1/login", map[string]any{"email": "strict@example.com", "password": emailPassword}).
		want(t, http.StatusOK)
}

func TestEmailSettings(t *testing.T) {
	t.Parallel()
	t.Run("BadValuesNameTheirVariable", func(t *testing.T) {
		t.Parallel()
		for name, value := range map[string]string{"AUTHD_VERIFICATION_TTL": "0s",
			"AUTHD_REQUIRE_VERIFIED_LOGIN": "maybe", "AUTHD_JOB_RETRY_BASE": "fast"} {
			_, err := loadConfig(func(k string) string { return map[string]string{name: value}[k] })
			var ce *configError
			if !errors.As(err, &ce) || ce.name != name {
				t.Errorf("%s=%s: error = %v, want a configError naming it", name, value, err)
			}
		}
	})
	t.Run("DefaultsAreADayOffAndRiversBackoff", func(t *testing.T) {
		t.Parallel()
		c, err := loadConfig(func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		if c.VerificationTTL != 24*time.Hour || c.RequireVerifiedLogin || c.JobRetryBase != 0 {
			t.Fatalf("defaults: ttl %v, require verified %v, retry base %v", c.VerificationTTL, c.RequireVerifiedLogin, c.JobRetryBase)
		}
	})
}
