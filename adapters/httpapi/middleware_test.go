package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"authd/core/auth"
)

func TestPanicBecomesOpaque500(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	s := &Server{log: slog.New(slog.NewJSONHandler(&logs, nil))}
	h := s.observe(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("secret detail: db password hunter2")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/me", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d", rec.Code)
	}
	var doc map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || doc["code"] != "internal_error" {
		t.Fatalf("body %s", rec.Body)
	}
	if strings.Contains(rec.Body.String(), "hunter2") {
		t.Fatal("the panic value leaked to the client")
	}
	if !strings.Contains(logs.String(), `"msg":"panic"`) {
		t.Fatalf("the panic was not logged: %s", logs.String())
	}
	wantSecurityHeaders(t, "a panic's 500", rec.Result().Header)
}

func TestRequestIDIsEchoedOnlyWhenWellFormed(t *testing.T) {
	t.Parallel()
	if got := requestID("abc-123_x.y"); got != "abc-123_x.y" {
		t.Fatalf("well-formed id replaced: %q", got)
	}
	for _, bad := range []string{"", "has space", "<script>", strings.Repeat("a", 65), "line\nbreak"} {
		if got := requestID(bad); got == bad || len(got) != 24 {
			t.Errorf("requestID(%q) = %q, want a fresh id", bad, got)
		}
	}
}

// wantSecurityHeaders fails unless h has the headers observe puts on every
// response: no caching of anything an auth server answers, no MIME
// sniffing, no framing (CSP frame-ancestors and the older X-Frame-Options),
// no Referer leaking a URL, and the request ID.
func wantSecurityHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	want := map[string]string{"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
		"Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}
	for name, v := range want {
		if got := h.Get(name); got != v {
			t.Errorf("%s: %s = %q, want %q", what, name, got, v)
		}
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("%s: Content-Security-Policy = %q, want frame-ancestors 'none'", what, csp)
	}
	if h.Get("X-Request-Id") == "" {
		t.Errorf("%s: no X-Request-Id", what)
	}
}

// TestEveryResponseCarriesTheSecurityHeaders walks the whole route table,
// like TestRoutesMatchOpenAPI, and calls every route without credentials,
// with a session as Bearer and as cookie, and across origins, then the
// router's own answers (404, 405) and the transport errors (413, 415): a
// route added later is covered without editing the test.
func TestEveryResponseCarriesTheSecurityHeaders(t *testing.T) {
	t.Parallel()
	f := newDeletionFixture(t)
	d := f.api.d
	d.Metrics = prometheus.NewRegistry()
	public, _ := url.Parse("http://localhost:8080")
	const adminToken = "admin-token-0123456789abcdef0123456789"
	api := NewServer(d, Config{PublicURL: public, AdminToken: adminToken})
	statuses := map[int]int{}
	call := func(method, path, body string, hdr ...string) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		statuses[rec.Code]++
		wantSecurityHeaders(t, fmt.Sprintf("%s %s %v = %d", method, path, hdr, rec.Code), rec.Result().Header)
	}
	// fresh is a new verified user's session, so a route that ends one
	// does not spoil the next call.
	fresh := func() auth.IssuedSession {
		ctx := context.Background()
		u := auth.User{ID: uuid.New(), Email: uuid.NewString()[:8] + "@example.com", EmailVerified: true,
			CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now()}
		if err := f.db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		s, err := f.sessions.Start(ctx, u.ID, auth.Client{IP: netip.MustParseAddr("192.0.2.1"), UserAgent: "ua"},
			auth.MethodPassword)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	routes := 0
	err := api.routes().Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tmpl, err := route.GetPathTemplate()
		if err != nil {
			return nil
		}
		methods, err := route.GetMethods()
		if err != nil {
			return nil
		}
		for _, m := range methods {
			routes++
			path := strings.ReplaceAll(tmpl, "{id}", uuid.NewString())
			call(m, path, "{}")
			call(m, path, "{}", "Sec-Fetch-Site", "cross-site")
			s := fresh()
			call(m, strings.ReplaceAll(tmpl, "{id}", s.Session.ID.String()), "{}", "Authorization", "Bearer "+s.Token)
			s = fresh()
			call(m, path, "{}", "Cookie", "authd_session="+s.Token, "Sec-Fetch-Site", "same-origin")
			call(m, path, "{}", "Authorization", "Bearer "+adminToken)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	call("GET", "/no/such/route", "")
	call("PUT", "/v1/me", "{}")
	call("POST", "/v1/login", `{"email":"`+strings.Repeat("x", 70<<10)+`"}`)
	call("POST", "/v1/login", "{}", "Content-Type", "text/plain")
	if routes < 30 {
		t.Fatalf("walked %d routes: the walk is broken", routes)
	}
	classes := map[int]int{}
	for status, n := range statuses {
		classes[status/100] += n
	}
	if classes[2] == 0 || classes[4] == 0 {
		t.Errorf("answers by status %v: the walk reached too little", statuses)
	}
}
