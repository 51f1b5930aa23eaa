package main

import (
	"net/http"
	"testing"
)

func TestPasswordForgotAndReset(t *testing.T) {
	t.Parallel()
	in, srv := startWithSMTP(t, nil)
	laptop := in.browser("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
	userID := laptop.signupEmail(t, "forgetful@example.com")["id"].(string)
	verifyToken := linkToken(t, waitEmail(t, srv, "forgetful@example.com", subjectVerify), "/verify-email")
	phone := in.browser("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)")
	phone.do("POST", "/v1/login", map[string]any{"email": "forgetful@example.com", "password": emailPassword}).
		want(t, http.StatusOK)

	anon := in.browser("Mozilla/5.0")
	anon.do("POST", "/v1/password/forgot", map[string]any{"email": "nobody@example.com"}).want(t, http.StatusAccepted)
	anon.do("POST", "/v1/password/forgot", map[string]any{"email": " Forgetful@Example.COM"}).want(t, http.StatusAccepted)
	m := waitEmail(t, srv, "forgetful@example.com", subjectReset)
	resetToken := linkToken(t, m, "/reset-password")
	if n := in.scalar(t, `SELECT count(*) FROM river_job WHERE args->>'email' = 'password_reset'`); n != 1 {
		t.Fatalf("%d reset jobs, want 1: none for the unknown address", n)
	}
	if n := in.scalar(t, `SELECT count(*) FROM river_job WHERE args->>'email' = 'password_reset' AND args->>'user_id' = $1`, userID); n != 1 {
		t.Fatal("the reset job is not the account's")
	}

	anon.do("POST", "/v1/password/reset", map[string]any{"token": verifyToken, "new_password": "a fresh password 99"}).
		want(t, http.StatusBadRequest, "invalid_token")
	anon.do("POST", "/v1/password/reset", map[string]any{"token": resetToken, "new_password": "password"}).
		want(t, http.StatusBadRequest, "weak_password")
	r := anon.do("POST", "/v1/password/reset", map[string]any{"token": resetToken, "new_password": "a fresh password 99"}).
		want(t, http.StatusNoContent)
	if len(r.Cookies()) != 0 {
		t.Fatalf("reset set cookies %v: it must not sign in", r.Cookies())
	}
	anon.do("GET", "/v1/me", nil).want(t, http.StatusUnauthorized, "unauthenticated")
	laptop.do("GET", "/v1/me", nil).want(t, http.StatusUnauthorized, "unauthenticated")
	phone.do("GET", "/v1/me", nil).want(t, http.StatusUnauthorized, "unauthenticated")
	anon.do("POST", "/v1/password/reset", map[string]any{"token": resetToken, "new_password": "yet another password"}).
		want(t, http.StatusBadRequest, "invalid_token")

	laptop.do("POST", "/v1/login", map[string]any{"email": "forgetful@example.com", "password": emailPassword}).
		want(t, http.StatusUnauthorized, "invalid_credentials")
	user := laptop.do("POST", "/v1/login", map[string]any{"email": "forgetful@example.com", "password": "a fresh password 99"}).
		want(t, http.StatusOK).json(t)["user"].(map[string]any)
	if user["email_verified"] != true {
		t.Fatal("the reset link proved the address, yet it is not verified")
	}
	// The verification token survived the failed reset attempt: purposes are
	// checked before anything is consumed.
	anon.do("POST", "/v1/email/verify", map[string]any{"token": verifyToken}).want(t, http.StatusOK)
}

func TestPasswordChangeKeepsOnlyTheCurrentSession(t *testing.T) {
	t.Parallel()
	in, _ := startWithSMTP(t, nil)
	laptop := in.browser("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
	laptop.signupEmail(t, "changer@example.com")
	phone := in.browser("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)")
	phone.do("POST", "/v1/login", map[string]any{"email": "changer@example.com", "password": emailPassword}).
		want(t, http.StatusOK)
	laptop.do("POST", "/v1/password/change", map[string]any{"new_password": "short"}).want(t, http.StatusBadRequest, "weak_password")
	laptop.do("POST", "/v1/password/change", map[string]any{"new_password": "a changed password 7"}).want(t, http.StatusNoContent)
	laptop.do("GET", "/v1/me", nil).want(t, http.StatusOK)
	phone.do("GET", "/v1/me", nil).want(t, http.StatusUnauthorized, "unauthenticated")
	phone.do("POST", "/v1/login", map[string]any{"email": "changer@example.com", "password": "a changed password 7"}).
		want(t, http.StatusOK)
}
