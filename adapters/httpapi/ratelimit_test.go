package httpapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"authd/adapters/httpapi"
	"authd/core/throttle"
)

// setupLimited is a server behind a trusted proxy (the test client, on
// loopback) with two logins a minute per client IP.
func setupLimited(t *testing.T) *httptest.Server {
	t.Helper()
	db, clock, d := newDeps(t)
	d.Throttle = throttle.New(throttle.Deps{Store: db, Users: db, Tx: db, Jobs: db, Clock: clock},
		throttle.Config{AppURL: publicURL, Limits: map[string]throttle.Rate{throttle.LimitLogin: {N: 2, Per: time.Minute}}})
	return serve(t, d, httpapi.Config{PublicURL: publicURL,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}})
}

func TestPerIPLimitMiddleware(t *testing.T) {
	t.Parallel()
	srv := setupLimited(t)
	post := func(t *testing.T, path, forwardedFor, body string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", forwardedFor)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	const login = `{"email":"nobody@example.com","password":"a fine long password"}`
	if r := post(t, "/v1/login", "203.0.113.5", login); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("first login = %d, want 401", r.StatusCode)
	}
	// A malformed request counts too, and the MFA step shares the bucket.
	if r := post(t, "/v1/login/mfa", "203.0.113.5", `{"mfa_token":`); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("malformed MFA step = %d, want 400", r.StatusCode)
	}
	r := post(t, "/v1/login", "203.0.113.5", login)
	secs, _ := strconv.Atoi(r.Header.Get("Retry-After"))
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Content-Type") != "application/problem+json" ||
		secs < 1 || secs > 60 {
		t.Fatalf("third request = %d %q, Retry-After %q; want 429 problem, within the minute",
			r.StatusCode, r.Header.Get("Content-Type"), r.Header.Get("Retry-After"))
	}
	if r := post(t, "/v1/login", "203.0.113.6", login); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("another client = %d, want 401: the limit is per client IP", r.StatusCode)
	}
	if r := post(t, "/v1/signup", "203.0.113.5", `{"email":"new@example.com","password":"a fine long password"}`); r.StatusCode != http.StatusCreated {
		t.Fatalf("signup from the limited client = %d, want 201: signup has no limit here", r.StatusCode)
	}
}
