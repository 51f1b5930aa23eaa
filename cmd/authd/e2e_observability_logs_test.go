package main

import (
	"bufio"
	"context"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"authd/adapters/memory"
	"authd/adapters/postgres/pgtest"
	"authd/adapters/smtpmail/smtptest"
	"authd/adapters/totp"
)

// secrets are the credentials a test used, by what they are, for
// TestLogsHoldNoSecret to look for.
type secrets map[string][]string

func (s secrets) add(kind string, values ...string) {
	for _, v := range values {
		if v == "" {
			panic("empty secret of kind " + kind)
		}
		s[kind] = append(s[kind], v)
	}
}

// TestLogsHoldNoSecret runs every flow that handles a credential with debug
// logging on and mail going through SMTP (the log mailer prints links by
// design, for development), then looks for each credential it used in every
// log line: passwords (right and wrong), session tokens and cookies (issued,
// rotated), verification and reset tokens, the TOTP secret, codes and
// recovery codes, the mfa_token, and the admin and metrics tokens.
func TestLogsHoldNoSecret(t *testing.T) {
	t.Parallel()
	clock := memory.NewClock(time.Now().UTC().Truncate(time.Second))
	smtp := smtptest.Start(t)
	in := startAuthdWith(t, context.WithValue(context.Background(), clockKey{}, clock), pgtest.New(t), map[string]string{
		"AUTHD_LOG_LEVEL": "debug", "AUTHD_SMTP_URL": smtp.URL(), "AUTHD_APP_URL": emailAppURL,
		"AUTHD_ADMIN_TOKEN": obsAdminToken, "AUTHD_METRICS_TOKEN": obsMetricsToken})
	used := secrets{}
	used.add("admin token", obsAdminToken)
	used.add("metrics token", obsMetricsToken)
	const (
		email     = "secretive@example.com"
		password  = "first secret passphrase"
		wrong     = "a mistyped secret passphrase"
		changed   = "second secret passphrase"
		afterward = "third secret passphrase"
	)
	used.add("password", password, wrong, changed, afterward)

	// Signup and verification, in a browser.
	b := in.browser("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15")
	userID := b.do("POST", "/v1/signup", map[string]any{"email": email, "password": password}).
		want(t, http.StatusCreated).json(t)["user"].(map[string]any)["id"].(string)
	used.add("session cookie", b.cookie(t))
	verify := linkToken(t, waitEmail(t, smtp, email, subjectVerify), "/verify-email")
	used.add("verification token", verify)
	b.do("POST", "/v1/email/verify", map[string]any{"token": verify}).want(t, http.StatusOK)
	b.do("POST", "/v1/email/verify", map[string]any{"token": verify}).want(t, http.StatusBadRequest, "invalid_token")

	// Logins: a wrong password, a cookie, a token.
	cli := in.browser("curl/8.5.0")
	cli.do("POST", "/v1/login", map[string]any{"email": email, "password": wrong}).want(t, http.StatusUnauthorized, "invalid_credentials")
	token := sessionToken(t, cli.do("POST", "/v1/login", map[string]any{"email": email, "password": password, "return_token": true}).
		want(t, http.StatusOK).json(t))
	used.add("session token", token)
	cli.headers["Authorization"] = "Bearer " + token
	cli.do("GET", "/v1/me", nil).want(t, http.StatusOK)

	// TOTP: enroll, confirm, log in with a code and with a recovery code.
	raw, codes := enableTOTP(t, b, clock)
	used.add("TOTP secret", base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw), hex.EncodeToString(raw), base64.StdEncoding.EncodeToString(raw))
	used.add("recovery code", codes...)
	used.add("TOTP code", totp.Code(raw, clock.Now()))
	b.do("POST", "/v1/logout", nil).want(t, http.StatusNoContent)
	mfaToken := b.do("POST", "/v1/login", map[string]any{"email": email, "password": password}).want(t, http.StatusOK).json(t)["mfa_token"].(string)
	used.add("mfa_token", mfaToken)
	clock.Advance(totp.Period)
	code := totp.Code(raw, clock.Now())
	used.add("TOTP code", code)
	b.do("POST", "/v1/login/mfa", map[string]any{"mfa_token": mfaToken, "code": code}).want(t, http.StatusOK)
	used.add("session cookie", b.cookie(t))
	mfaToken = cli.do("POST", "/v1/login", map[string]any{"email": email, "password": password}).want(t, http.StatusOK).json(t)["mfa_token"].(string)
	used.add("mfa_token", mfaToken)
	token = sessionToken(t, cli.do("POST", "/v1/login/mfa", map[string]any{"mfa_token": mfaToken, "code": codes[0], "return_token": true}).
		want(t, http.StatusOK).json(t))
	used.add("session token", token)
	cli.headers["Authorization"] = "Bearer " + token

	// Step-up with each factor; each rotates the credential.
	clock.Advance(time.Hour)
	b.do("POST", "/v1/step-up", map[string]any{"password": wrong}).want(t, http.StatusUnauthorized, "invalid_credentials")
	b.do("POST", "/v1/step-up", map[string]any{"password": password}).want(t, http.StatusOK)
	used.add("session cookie", b.cookie(t))
	clock.Advance(totp.Period)
	code = totp.Code(raw, clock.Now())
	used.add("TOTP code", code)
	b.do("POST", "/v1/step-up", map[string]any{"totp_code": code}).want(t, http.StatusOK)
	used.add("session cookie", b.cookie(t))
	up := cli.do("POST", "/v1/step-up", map[string]any{"recovery_code": codes[1]}).want(t, http.StatusOK).json(t)
	token, _ = up["session_token"].(string)
	used.add("session token", token)
	cli.headers["Authorization"] = "Bearer " + token

	// Password change, then forgot and reset.
	b.do("POST", "/v1/password/change", map[string]any{"new_password": changed}).want(t, http.StatusNoContent)
	anon := in.browser("Mozilla/5.0")
	anon.do("POST", "/v1/password/forgot", map[string]any{"email": email}).want(t, http.StatusAccepted)
	reset := linkToken(t, waitEmail(t, smtp, email, subjectReset), "/reset-password")
	used.add("reset token", reset)
	anon.do("POST", "/v1/password/reset", map[string]any{"token": reset, "new_password": afterward}).want(t, http.StatusNoContent)
	mfaToken = anon.do("POST", "/v1/login", map[string]any{"email": email, "password": afterward}).want(t, http.StatusOK).json(t)["mfa_token"].(string)
	used.add("mfa_token", mfaToken)

	// The admin and metrics APIs.
	admin := in.browser("ops/1.0")
	admin.headers["Authorization"] = "Bearer " + obsAdminToken
	admin.do("GET", "/v1/admin/saml/providers", nil).want(t, http.StatusOK)
	admin.headers["Authorization"] = "Bearer " + obsMetricsToken
	// The second factor's sign-ins are counted as such.
	counted := admin.scrape(t)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"authd_logins_total", []string{"method", "password", "outcome", "mfa_required"}, 3},
		{"authd_logins_total", []string{"method", "password", "outcome", "invalid_credentials"}, 1},
		{"authd_logins_total", []string{"method", "mfa", "outcome", "success"}, 2},
		{"authd_sessions_created_total", []string{"method", "mfa"}, 2},
		{"authd_sessions_revoked_total", []string{"reason", "replaced"}, 1}, // the API client's first session
		{"authd_sessions_revoked_total", []string{"reason", "password_change"}, 1},
		{"authd_sessions_revoked_total", []string{"reason", "password_reset"}, 1},
	} {
		if got := counted.value(c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}

	// Let the last jobs (new-device alerts, the reset's notices) run and log.
	eventually(t, "every email job finished", func() bool {
		return in.scalar(t, `SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'discarded', 'cancelled')
			AND kind = 'send_email'`) == 0
	})

	logs := in.logs.String()
	wantJSONLogsWithRequestIDs(t, logs)
	if !strings.Contains(logs, userID) {
		t.Fatal("the logs do not mention the user at all: the run was not logged, so finding no secret proves nothing")
	}
	for kind, values := range used {
		for _, v := range values {
			if line := lineWith(logs, v); line != "" {
				t.Errorf("a %s is in the logs:\n%s", kind, line)
			}
		}
	}
}

// lineWith is the first log line holding secret, "" if none. A six-digit
// code counts only standing alone, not inside a longer number (a timestamp's
// nanoseconds).
func lineWith(logs, secret string) string {
	var match func(string) bool
	if regexp.MustCompile(`^[0-9]{6}$`).MatchString(secret) {
		re := regexp.MustCompile(`(^|[^0-9])` + secret + `($|[^0-9])`)
		match = re.MatchString
	} else {
		match = func(line string) bool { return strings.Contains(line, secret) }
	}
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if match(sc.Text()) {
			return sc.Text()
		}
	}
	return ""
}

// wantJSONLogsWithRequestIDs checks that every line is a JSON object and
// that every access-log line carries its request ID, and that debug lines
// were written (the test would prove little at info).
func wantJSONLogsWithRequestIDs(t *testing.T, logs string) {
	t.Helper()
	requests, debug := 0, 0
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("a log line is not JSON: %v\n%s", err, sc.Text())
		}
		if line["level"] == "DEBUG" {
			debug++
		}
		if line["msg"] != "request" {
			continue
		}
		requests++
		if id, _ := line["request_id"].(string); id == "" {
			t.Fatalf("an access-log line has no request_id: %s", sc.Text())
		}
		if route, _ := line["route"].(string); route != "unmatched" && !strings.HasPrefix(route, "/") {
			t.Fatalf("an access-log line has route %q", route)
		}
	}
	if requests < 20 || debug == 0 {
		t.Fatalf("%d access-log lines and %d debug lines: the logs are not those of the run", requests, debug)
	}
}
