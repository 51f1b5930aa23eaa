package main

import (
	"bufio"
	"bytes"
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

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"authd/adapters/memory"
	"authd/adapters/postgres/pgtest"
	"authd/adapters/smtpmail/smtptest"
	"authd/adapters/totp"
)

const (
	obsMetricsToken = "metrics-token-for-the-observability-test"
	obsAdminToken   = "admin-token-for-the-observability-test!"
)

// scrape is one GET /metrics, parsed.
type scrape map[string]*dto.MetricFamily

func (b *browser) scrape(t *testing.T) scrape {
	t.Helper()
	resp := b.do("GET", "/metrics", nil).want(t, http.StatusOK)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("/metrics content type %q", ct)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(resp.body))
	if err != nil {
		t.Fatalf("/metrics is not the text format: %v\n%s", err, resp.body)
	}
	return families
}

// value is the series of name whose labels include labels: a counter's or
// gauge's value, a histogram's count; -1 when there is no such series.
func (s scrape) value(name string, labels ...string) float64 {
	f, ok := s[name]
	if !ok {
		return -1
	}
series:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue series
			}
		}
		switch {
		case m.GetHistogram() != nil:
			return float64(m.GetHistogram().GetSampleCount())
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue()
		}
		return m.GetCounter().GetValue()
	}
	return -1
}

// TestMetricsMoveWithTraffic scrapes /metrics before and after a morning of
// traffic and checks that every counter the issue names moved by what the
// traffic did.
func TestMetricsMoveWithTraffic(t *testing.T) {
	t.Parallel()
	in, srv := startWithSMTP(t, map[string]string{"AUTHD_METRICS_TOKEN": obsMetricsToken})
	prom := in.browser("Prometheus/3.0")
	prom.do("GET", "/metrics", nil).want(t, http.StatusUnauthorized, "unauthenticated")
	prom.headers["Authorization"] = "Bearer " + obsMetricsToken
	before := prom.scrape(t)
	for _, s := range []struct {
		name   string
		labels []string
	}{
		{"authd_sessions_created_total", []string{"method", "password"}},
		{"authd_sessions_revoked_total", []string{"reason", "logout"}},
	} {
		if v := before.value(s.name, s.labels...); v != 0 {
			t.Fatalf("%s%v = %v before any traffic, want a series at 0", s.name, s.labels, v)
		}
	}

	const email = "counted@example.com"
	laptop := in.browser("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
	laptop.signupEmail(t, email)
	verify := waitEmail(t, srv, email, subjectVerify)
	laptop.do("POST", "/v1/email/verify", map[string]any{"token": linkToken(t, verify, "/verify-email")}).want(t, http.StatusOK)
	// The session cache turns on once its listener hears notifications; a
	// request answered from memory then counts a hit.
	eventually(t, "a session cache hit", func() bool {
		laptop.me(t)
		return prom.scrape(t).value("authd_session_cache_hits_total") > 0
	})
	laptop.do("POST", "/v1/logout", nil).want(t, http.StatusNoContent)
	laptop.do("POST", "/v1/login", map[string]any{"email": email, "password": "not the password at all"}).
		want(t, http.StatusUnauthorized, "invalid_credentials")
	laptop.do("POST", "/v1/login", map[string]any{"email": email, "password": emailPassword}).want(t, http.StatusOK)
	phone := in.browser("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)")
	phone.do("POST", "/v1/login", map[string]any{"email": email, "password": emailPassword}).want(t, http.StatusOK)
	tablet := in.browser("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X)")
	tablet.do("POST", "/v1/login", map[string]any{"email": email, "password": emailPassword}).want(t, http.StatusOK)
	var tabletSession string
	for _, s := range tablet.do("GET", "/v1/sessions", nil).want(t, http.StatusOK).json(t)["sessions"].([]any) {
		if s := s.(map[string]any); s["current"] == true {
			tabletSession = s["id"].(string)
		}
	}
	laptop.do("DELETE", "/v1/sessions/"+tabletSession, nil).want(t, http.StatusNoContent)
	laptop.do("POST", "/v1/sessions/revoke-others", nil).want(t, http.StatusOK) // the phone
	laptop.do("POST", "/v1/password/forgot", map[string]any{"email": email}).want(t, http.StatusAccepted)
	reset := linkToken(t, waitEmail(t, srv, email, subjectReset), "/reset-password")
	laptop.do("POST", "/v1/password/reset", map[string]any{"token": reset, "new_password": "a brand new password 1"}).
		want(t, http.StatusNoContent) // ends the laptop's session too
	laptop.do("GET", "/v1/nothing-here", nil).want(t, http.StatusNotFound, "not_found")

	// The send_email jobs' completions arrive by River's event stream,
	// just after the mail itself.
	var after scrape
	eventually(t, "the email jobs counted", func() bool {
		after = prom.scrape(t)
		return after.value("authd_jobs_total", "kind", "send_email", "queue", "email", "outcome", "completed") >= 2
	})
	moved := func(name string, want float64, labels ...string) {
		t.Helper()
		was := max(before.value(name, labels...), 0)
		if got := after.value(name, labels...) - was; got != want {
			t.Errorf("%s%v moved by %v, want %v", name, labels, got, want)
		}
	}
	moved("authd_http_requests_total", 3, "route", "/v1/login", "method", "POST", "status", "200")
	moved("authd_http_requests_total", 1, "route", "/v1/login", "method", "POST", "status", "401")
	moved("authd_http_requests_total", 1, "route", "/v1/sessions/{id}", "method", "DELETE", "status", "204")
	moved("authd_http_requests_total", 1, "route", "unmatched", "method", "GET", "status", "404")
	moved("authd_http_request_duration_seconds", 4, "route", "/v1/login", "method", "POST")
	moved("authd_logins_total", 3, "method", "password", "outcome", "success")
	moved("authd_logins_total", 1, "method", "password", "outcome", "invalid_credentials")
	moved("authd_sessions_created_total", 4, "method", "password") // the signup and three logins
	moved("authd_sessions_revoked_total", 1, "reason", "logout")
	moved("authd_sessions_revoked_total", 1, "reason", "user")
	moved("authd_sessions_revoked_total", 1, "reason", "others")
	moved("authd_sessions_revoked_total", 1, "reason", "password_reset")
	if v := after.value("authd_job_duration_seconds", "kind", "send_email"); v < 2 {
		t.Errorf("job duration observations = %v, want at least 2", v)
	}
	for _, gauge := range []string{"authd_db_pool_max_connections", "authd_db_pool_total_connections", "authd_db_pool_acquires_total"} {
		if v := after.value(gauge); v <= 0 {
			t.Errorf("%s = %v, want > 0", gauge, v)
		}
	}
	for _, name := range []string{"authd_db_pool_idle_connections", "authd_db_pool_acquired_connections",
		"authd_db_pool_canceled_acquires_total", "authd_session_cache_misses_total", "go_goroutines",
		"process_resident_memory_bytes"} {
		if after.value(name) < 0 {
			t.Errorf("no %s", name)
		}
	}
	// Paths never become labels: one series per route.
	for _, m := range after["authd_http_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "route" && strings.Contains(l.GetValue(), tabletSession) {
				t.Fatalf("a raw path became a label: %s", l.GetValue())
			}
		}
	}
}

// TestWorkerServesMetrics runs authd worker with AUTHD_WORKER_METRICS_ADDR:
// it serves /metrics (with the token) and /healthz, and counts the jobs it
// works.
func TestWorkerServesMetrics(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	api, srv := startWithSMTPOn(t, db, nil, "serve", "--no-worker")
	worker := startAuthdOn(t, db, map[string]string{"AUTHD_WORKER_METRICS_ADDR": "127.0.0.1:0",
		"AUTHD_METRICS_TOKEN": obsMetricsToken, "AUTHD_SMTP_URL": srv.URL(), "AUTHD_APP_URL": emailAppURL}, "worker")
	prom := worker.browser("Prometheus/3.0")
	prom.do("GET", "/healthz", nil).want(t, http.StatusOK)
	prom.do("GET", "/metrics", nil).want(t, http.StatusUnauthorized, "unauthenticated")
	prom.headers["Authorization"] = "Bearer " + obsMetricsToken
	api.browser("a").signupEmail(t, "worked@example.com")
	waitEmail(t, srv, "worked@example.com", subjectVerify)
	eventually(t, "the worker's job counted", func() bool {
		return prom.scrape(t).value("authd_jobs_total", "kind", "send_email", "outcome", "completed") == 1
	})
	s := prom.scrape(t)
	if s.value("authd_db_pool_max_connections") <= 0 || s.value("authd_http_requests_total", "route", "/metrics") < 1 {
		t.Fatal("the worker's scrape lacks the pool or its own requests")
	}
	// The API, which works no jobs, counts none.
	apiProm := api.browser("Prometheus/3.0")
	if v := apiProm.scrape(t).value("authd_jobs_total"); v != -1 {
		t.Fatalf("serve --no-worker counted jobs: %v", v)
	}
}

// startWithSMTPOn is startWithSMTP on a database the test chose.
func startWithSMTPOn(t *testing.T, db pgtest.DB, env map[string]string, args ...string) (*instance, *smtptest.Server) {
	t.Helper()
	srv := smtptest.Start(t)
	vars := map[string]string{"AUTHD_SMTP_URL": srv.URL(), "AUTHD_APP_URL": emailAppURL, "AUTHD_JOB_RETRY_BASE": "20ms"}
	for k, v := range env {
		vars[k] = v
	}
	return startAuthdOn(t, db, vars, args...), srv
}

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
	used.add("session cookie", b.jarToken(t))
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
	used.add("session cookie", b.jarToken(t))
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
	used.add("session cookie", b.jarToken(t))
	clock.Advance(totp.Period)
	code = totp.Code(raw, clock.Now())
	used.add("TOTP code", code)
	b.do("POST", "/v1/step-up", map[string]any{"totp_code": code}).want(t, http.StatusOK)
	used.add("session cookie", b.jarToken(t))
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
