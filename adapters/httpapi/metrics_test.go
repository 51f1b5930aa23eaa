package httpapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"authd/adapters/memory"
)

// newMetricsFixture is the sessions fixture with metrics on a registry of
// its own, /metrics behind token when it is not empty.
func newMetricsFixture(t *testing.T, token string) (sessionsFixture, *prometheus.Registry) {
	t.Helper()
	db := memory.New()
	clock := memory.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	f := newTestServer(t, db, db, db, db, clock)
	f.db, f.clock = db, clock
	reg := prometheus.NewRegistry()
	d := f.api.d
	d.Metrics = reg
	public, _ := url.Parse("http://localhost:8080")
	f.api = NewServer(d, Config{PublicURL: public, MetricsToken: token})
	f.srv = httptest.NewServer(f.api)
	t.Cleanup(f.srv.Close)
	return f, reg
}

func (f sessionsFixture) send(t *testing.T, method, path, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// counter is the value of the series of name with exactly labels, 0 when
// there is none.
func counter(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue series
				}
			}
			if h := m.GetHistogram(); h != nil {
				return float64(h.GetSampleCount())
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func TestRequestMetricsNameTheRouteNotThePath(t *testing.T) {
	t.Parallel()
	f, reg := newMetricsFixture(t, "")
	_, s := f.signIn(t, false)
	for range 3 {
		resp, _ := f.call(t, "DELETE", "/v1/sessions/"+uuid.NewString(), s.Token, false)
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	f.call(t, "GET", "/v1/me", s.Token, false)
	f.call(t, "GET", "/nothing/here/"+uuid.NewString(), "", false)
	f.call(t, "GET", "/nothing/else", "", false)
	f.call(t, "BREW", "/v1/me", "", false)

	want := []struct {
		route, method, status string
		n                     float64
	}{
		{"/v1/sessions/{id}", "DELETE", "404", 3},
		{"/v1/me", "GET", "200", 1},
		{"unmatched", "GET", "404", 2},
		{"unmatched", "other", "405", 1},
	}
	for _, w := range want {
		got := counter(t, reg, "authd_http_requests_total", map[string]string{"route": w.route, "method": w.method, "status": w.status})
		if got != w.n {
			t.Errorf("requests{route=%q,method=%q,status=%q} = %v, want %v", w.route, w.method, w.status, got, w.n)
		}
	}
	if got := counter(t, reg, "authd_http_request_duration_seconds", map[string]string{"route": "/v1/sessions/{id}", "method": "DELETE"}); got != 3 {
		t.Errorf("duration observations = %v, want 3", got)
	}
	// One series per route and method however many paths were tried.
	if n := testutil.CollectAndCount(f.api.metrics.requests); n != 4 {
		t.Errorf("%d request series, want 4", n)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) != 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

func TestLoginMetricsCountOutcomes(t *testing.T) {
	t.Parallel()
	f, reg := newMetricsFixture(t, "")
	const creds = `{"email":"counted@example.com","password":"a long enough password"}`
	if r := f.send(t, "POST", "/v1/signup", creds); r.StatusCode != http.StatusCreated {
		t.Fatalf("signup = %d", r.StatusCode)
	}
	f.send(t, "POST", "/v1/login", creds)
	f.send(t, "POST", "/v1/login", creds)
	f.send(t, "POST", "/v1/login", `{"email":"counted@example.com","password":"not the password at all"}`)
	f.send(t, "POST", "/v1/login", `{"email":`)
	f.send(t, "POST", "/v1/login/mfa", `{"mfa_token":"forged","code":"123456"}`)
	f.send(t, "GET", "/v1/login", "") // not a sign-in: 405

	want := map[[2]string]float64{
		{"password", "success"}:             2,
		{"password", "invalid_credentials"}: 1,
		{"password", "invalid_request"}:     1,
		{"mfa", "invalid_mfa_token"}:        1,
	}
	for k, n := range want {
		if got := counter(t, reg, "authd_logins_total", map[string]string{"method": k[0], "outcome": k[1]}); got != n {
			t.Errorf("logins{method=%q,outcome=%q} = %v, want %v", k[0], k[1], got, n)
		}
	}
	if n := testutil.CollectAndCount(f.api.metrics.logins); n != len(want) {
		t.Errorf("%d login series, want %d: the signup or the GET was counted as a login", n, len(want))
	}
}

func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	get := func(t *testing.T, f sessionsFixture, authz string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", f.srv.URL+"/metrics", nil)
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	t.Run("OpenWithoutAToken", func(t *testing.T) {
		t.Parallel()
		f, _ := newMetricsFixture(t, "")
		f.send(t, "GET", "/healthz", "")
		resp, body := get(t, f, "")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") ||
			!strings.Contains(body, `authd_http_requests_total{method="GET",route="/healthz",status="200"} 1`) {
			t.Fatalf("GET /metrics = %d %q\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	})
	t.Run("WithATokenOnlyForItsBearer", func(t *testing.T) {
		t.Parallel()
		const token = "metrics-token-0123456789abcdef0123"
		f, _ := newMetricsFixture(t, token)
		for _, authz := range []string{"", "Bearer wrong", "Basic " + token, token, "Bearer " + token + "x"} {
			if resp, body := get(t, f, authz); resp.StatusCode != http.StatusUnauthorized || strings.Contains(body, "authd_") {
				t.Errorf("Authorization %q: %d\n%s", authz, resp.StatusCode, body)
			}
		}
		if resp, body := get(t, f, "Bearer "+token); resp.StatusCode != http.StatusOK || !strings.Contains(body, "authd_http_requests_total") {
			t.Fatalf("with the token: %d\n%s", resp.StatusCode, body)
		}
	})
	t.Run("NotFoundWithoutMetrics", func(t *testing.T) {
		t.Parallel()
		f := newSessionsFixture(t)
		resp, doc := f.call(t, "GET", "/metrics", "", false)
		wantStatus(t, resp, doc, http.StatusNotFound, "not_found")
	})
}

func TestSAMLResponsesCountAsLoginsUnlessTheyCompleteAStepUp(t *testing.T) {
	t.Parallel()
	m := newHTTPMetrics(prometheus.NewRegistry())
	m.observe(&exchange{route: "/v1/saml/acs"}, http.MethodPost, http.StatusSeeOther, time.Millisecond)
	m.observe(&exchange{route: "/v1/saml/acs", code: "saml_rejected"}, http.MethodPost, http.StatusForbidden, time.Millisecond)
	m.observe(&exchange{route: "/v1/saml/acs", login: notALogin}, http.MethodPost, http.StatusSeeOther, time.Millisecond)
	if got := testutil.ToFloat64(m.logins.WithLabelValues("saml", "success")); got != 1 {
		t.Errorf("saml success = %v, want 1: the step-up was counted", got)
	}
	if got := testutil.ToFloat64(m.logins.WithLabelValues("saml", "saml_rejected")); got != 1 {
		t.Errorf("saml_rejected = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues("/v1/saml/acs", "POST", "303")); got != 2 {
		t.Errorf("requests = %v, want 2: a step-up is still a request", got)
	}
}
