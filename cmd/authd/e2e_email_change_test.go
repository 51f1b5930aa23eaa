package main

import (
	"net/http"
	"strings"
	"testing"
)

func TestEmailChange(t *testing.T) {
	t.Parallel()
	in, srv := startWithSMTP(t, nil)
	b := in.browser("Mozilla/5.0")
	b.signupEmail(t, "old@example.com")
	in.browser("curl/8.5.0").signupEmail(t, "taken@example.com")
	oldVerify := linkToken(t, waitEmail(t, srv, "old@example.com", subjectVerify), "/verify-email")
	in.browser("curl/8.5.0").do("POST", "/v1/password/forgot", map[string]any{"email": "old@example.com"}).
		want(t, http.StatusAccepted)
	oldReset := linkToken(t, waitEmail(t, srv, "old@example.com", subjectReset), "/reset-password")

	b.do("POST", "/v1/email/change", map[string]any{"new_email": "TAKEN@example.com"}).want(t, http.StatusConflict, "email_taken")
	b.do("POST", "/v1/email/change", map[string]any{"new_email": "not an address"}).want(t, http.StatusBadRequest, "invalid_email")
	b.do("POST", "/v1/email/change", map[string]any{"new_email": "New@Example.com"}).want(t, http.StatusAccepted)
	m := waitEmail(t, srv, "New@Example.com", subjectChange)
	if !strings.Contains(m.Text, "New@Example.com") {
		t.Fatalf("the confirmation does not name the new address:\n%s", m.Text)
	}
	token := linkToken(t, m, "/verify-email")
	if me := b.me(t); me["email"] != "old@example.com" {
		t.Fatalf("the address changed to %v before the new one was confirmed", me["email"])
	}

	user := b.do("POST", "/v1/email/verify", map[string]any{"token": token}).want(t, http.StatusOK).json(t)
	if user["email"] != "New@Example.com" || user["email_verified"] != true {
		t.Fatalf("after confirming: %v", user)
	}
	notice := waitEmail(t, srv, "old@example.com", subjectChanged)
	if !strings.Contains(notice.Text, "New@Example.com") {
		t.Fatalf("the notice does not name the new address:\n%s", notice.Text)
	}
	b.do("POST", "/v1/email/verify", map[string]any{"token": token}).want(t, http.StatusBadRequest, "invalid_token")
	// Tokens sent to the old address prove nothing about the new one.
	b.do("POST", "/v1/email/verify", map[string]any{"token": oldVerify}).want(t, http.StatusBadRequest, "invalid_token")
	b.do("POST", "/v1/password/reset", map[string]any{"token": oldReset, "new_password": "hijacked password 1"}).
		want(t, http.StatusBadRequest, "invalid_token")

	in.browser("x").do("POST", "/v1/login", map[string]any{"email": "old@example.com", "password": emailPassword}).
		want(t, http.StatusUnauthorized, "invalid_credentials")
	in.browser("x").do("POST", "/v1/login", map[string]any{"email": "new@example.com", "password": emailPassword}).
		want(t, http.StatusOK)
}
