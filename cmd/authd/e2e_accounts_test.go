package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSignupLoginMeLogout(t *testing.T) {
	t.Parallel()
	in := startAuthd(t, nil)
	laptop := in.browser("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")

	signup := laptop.do("POST", "/v1/signup", map[string]any{"email": "Ada@Example.com", "password": "analytical engine 1843"}).
		want(t, http.StatusCreated).json(t)
	user := signup["user"].(map[string]any)
	if user["email"] != "Ada@Example.com" || user["email_verified"] != false || user["has_password"] != true {
		t.Fatalf("signup user = %v", user)
	}
	me := laptop.do("GET", "/v1/me", nil).want(t, http.StatusOK).json(t)
	if me["id"] != user["id"] {
		t.Fatalf("/v1/me = %v, want user %v", me, user["id"])
	}
	laptop.do("POST", "/v1/logout", nil).want(t, http.StatusNoContent)
	laptop.do("GET", "/v1/me", nil).want(t, http.StatusUnauthorized, "unauthenticated")

	// Login in another case; the cookie is back.
	laptop.do("POST", "/v1/login", map[string]any{"email": "ada@example.COM", "password": "analytical engine 1843"}).
		want(t, http.StatusOK)
	laptop.do("GET", "/v1/me", nil).want(t, http.StatusOK)
	laptop.do("POST", "/v1/login", map[string]any{"email": "ada@example.com", "password": "wrong password here"}).
		want(t, http.StatusUnauthorized, "invalid_credentials")
	laptop.do("POST", "/v1/login", map[string]any{"email": "nobody@example.com", "password": "analytical engine 1843"}).
		want(t, http.StatusUnauthorized, "invalid_credentials")
	laptop.do("POST", "/v1/signup", map[string]any{"email": "ADA@example.com", "password": "another long secret"}).
		want(t, http.StatusConflict, "email_taken")
}

func TestBearerTokenForAPIClients(t *testing.T) {
	t.Parallel()
	in := startAuthd(t, nil)
	cli := in.browser("curl/8.5.0")
	resp := cli.do("POST", "/v1/signup", map[string]any{"email": "api@example.com", "password": "token please 12345", "return_token": true}).
		want(t, http.StatusCreated)
	if len(resp.Cookies()) != 0 {
		t.Fatalf("return_token set a cookie: %v", resp.Cookies())
	}
	token := resp.json(t)["session"].(map[string]any)["session_token"].(string)
	if len(token) != 43 {
		t.Fatalf("session_token %q", token)
	}
	cli.do("GET", "/v1/me", nil).want(t, http.StatusUnauthorized, "unauthenticated")
	cli.headers["Authorization"] = "Bearer " + token
	cli.do("GET", "/v1/me", nil).want(t, http.StatusOK)
	cli.do("POST", "/v1/logout", nil).want(t, http.StatusNoContent)
	cli.do("GET", "/v1/me", nil).want(t, http.StatusUnauthorized, "unauthenticated")
	cli.headers["Authorization"] = "Basic dXNlcjpwYXNz"
	cli.do("GET", "/v1/me", nil).want(t, http.StatusUnauthorized, "unauthenticated")
}

func TestCrossOriginCookieWritesAreRefused(t *testing.T) {
	t.Parallel()
	in := startAuthd(t, nil)
	b := in.browser("Mozilla/5.0")
	b.do("POST", "/v1/signup", map[string]any{"email": "csrf@example.com", "password": "cross site forgery"}).want(t, http.StatusCreated)
	b.headers["Sec-Fetch-Site"] = "cross-site"
	b.headers["Origin"] = "https://evil.example"
	b.do("POST", "/v1/logout", nil).want(t, http.StatusForbidden, "cross_origin_request")
	b.do("GET", "/v1/me", nil).want(t, http.StatusOK) // safe methods pass, and the session survived
	b.headers["Sec-Fetch-Site"] = "same-origin"
	delete(b.headers, "Origin")
	b.do("POST", "/v1/logout", nil).want(t, http.StatusNoContent)
}

func TestSignupEnqueuesVerificationJobInItsTransaction(t *testing.T) {
	t.Parallel()
	in := startAuthd(t, nil, "serve", "--no-worker")
	b := in.browser("Mozilla/5.0")
	u := b.do("POST", "/v1/signup", map[string]any{"email": "job@example.com", "password": "river runs through it"}).
		want(t, http.StatusCreated).json(t)["user"].(map[string]any)
	var args string
	if err := in.db.Pool.QueryRow(context.Background(),
		`SELECT args::text FROM river_job WHERE kind = 'send_email' AND args->>'user_id' = $1`, u["id"]).Scan(&args); err != nil {
		t.Fatalf("no verification job for the new user: %v", err)
	}
	if !strings.Contains(args, `"email": "verify_email"`) || strings.Contains(args, "job@example.com") {
		t.Fatalf("job args %s: want the verify_email kind and no address", args)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	in := startAuthd(t, nil)
	b := in.browser("probe")
	b.do("GET", "/healthz", nil).want(t, http.StatusOK)
	b.do("GET", "/readyz", nil).want(t, http.StatusOK)
	b.do("GET", "/v1/nope", nil).want(t, http.StatusNotFound, "not_found")
	// The maintenance jobs run once at start and complete.
	deadline := time.Now().Add(15 * time.Second)
	for {
		var n int
		if err := in.db.Pool.QueryRow(context.Background(),
			`SELECT count(DISTINCT kind) FROM river_job WHERE state = 'completed'
			 AND kind IN ('prune_activity', 'cleanup_mfa_challenges', 'cleanup_verifications', 'cleanup_throttle',
			 'prune_sessions')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of the 5 maintenance jobs completed:\n%s", n, in.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
