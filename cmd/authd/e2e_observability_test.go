package main

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"authd/adapters/postgres/pgtest"
	"authd/adapters/smtpmail/smtptest"
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
