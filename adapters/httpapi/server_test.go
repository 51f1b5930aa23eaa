package httpapi_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"authd/adapters/argon2id"
	"authd/adapters/httpapi"
	"authd/adapters/memory"
	"authd/adapters/totp"
	"authd/core/accounts"
	"authd/core/mfa"
	"authd/core/session"
	"authd/core/stepup"
)

type testBundle struct {
	db  *memory.DB
	srv *httptest.Server
}

// newDeps wires the core on memory stores and a fixed clock, with cheap
// hashing; tests add what they need before building the server.
func newDeps(t *testing.T) (*memory.DB, *memory.Clock, httpapi.Deps) {
	t.Helper()
	db := memory.New()
	clock := memory.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	sessions := session.New(session.Deps{Sessions: db, Users: db, Tx: db, Jobs: db, UA: memory.UAParser{}, Clock: clock, Random: rand.Reader},
		session.Config{Lifetime: time.Hour, IdleTimeout: time.Hour})
	hasher := argon2id.New(argon2id.Params{MemoryKiB: 64, Time: 1, Threads: 1}, 2)
	second := mfa.New(mfa.Deps{Store: db, Users: db, Sessions: sessions, TOTP: totp.New("authd.test"), Tx: db,
		Clock: clock, Random: rand.Reader}, mfa.Config{EncryptionKey: make([]byte, 32)})
	acc := accounts.New(accounts.Deps{Users: db, Tx: db, Jobs: db, Sessions: sessions, Clock: clock, Random: rand.Reader,
		Hasher: hasher, SecondFactor: second})
	up := stepup.New(stepup.Deps{Hasher: hasher, Codes: second, Elevator: sessions, Attempts: db, Tx: db, Clock: clock},
		stepup.Config{MaxAge: 10 * time.Minute})
	return db, clock, httpapi.Deps{Accounts: acc, Sessions: sessions, MFA: second, StepUp: up,
		Ready: func(context.Context) error { return nil }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// serve runs the API over loopback until the test ends.
func serve(t *testing.T, d httpapi.Deps, cfg httpapi.Config) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(httpapi.NewServer(d, cfg))
	t.Cleanup(srv.Close)
	return srv
}

var publicURL, _ = url.Parse("http://localhost:8080")

func setup(t *testing.T) testBundle {
	t.Helper()
	db, _, d := newDeps(t)
	return testBundle{db: db, srv: serve(t, d, httpapi.Config{PublicURL: publicURL})}
}

func (b testBundle) post(t *testing.T, path, contentType string, body io.Reader) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.srv.URL+path, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&doc)
	return resp, doc
}

func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	t.Parallel()
	const ok = `{"email":"bad-input@example.com","password":"a fine long password"}`
	cases := []struct {
		name, contentType, body string
		status                  int
		code                    string
	}{
		{"MalformedJSON", "application/json", `{"email":`, 400, "invalid_request"},
		{"UnknownField", "application/json", `{"email":"bad-input@example.com","password":"a fine long password","admin":true}`, 400, "invalid_request"},
		{"TwoValues", "application/json", ok + ok, 400, "invalid_request"},
		{"WrongType", "application/json", `{"email":42,"password":"a fine long password"}`, 400, "invalid_request"},
		{"OneMebibyte", "application/json", `{"email":"bad-input@example.com","password":"` + strings.Repeat("x", 1<<20) + `"}`, 413, "request_too_large"},
		{"EmptyEmail", "application/json", `{"email":"","password":"a fine long password"}`, 400, "invalid_email"},
		{"LongPassword", "application/json", `{"email":"bad-input@example.com","password":"` + strings.Repeat("p", 200) + `"}`, 400, "weak_password"},
		{"InvalidUTF8", "application/json", "{\"email\":\"bad-input@example.com\",\"password\":\"a fine long \xff\xfe\"}", 400, "invalid_request"},
		{"WrongContentType", "text/plain", ok, 415, "unsupported_media_type"},
		{"NoContentType", "", ok, 415, "unsupported_media_type"},
		{"EmptyBody", "application/json", "", 400, "invalid_request"},
	}
	b := setup(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, doc := b.post(t, "/v1/signup", c.contentType, strings.NewReader(c.body))
			if resp.StatusCode != c.status || doc["code"] != c.code {
				t.Fatalf("status %d code %v, want %d %s (%v)", resp.StatusCode, doc["code"], c.status, c.code, doc)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q", ct)
			}
			if doc["status"] != float64(c.status) || doc["title"] == "" || doc["detail"] == "" || doc["type"] == "" {
				t.Fatalf("not a complete problem document: %v", doc)
			}
		})
	}
	if _, err := b.db.FindUserByEmail(context.Background(), "bad-input@example.com"); err == nil {
		t.Fatal("a refused request created the user")
	}
	if n := len(b.db.Jobs()); n != 0 {
		t.Fatalf("refused requests enqueued %d jobs", n)
	}
}

func TestErrorsLeakNothingInternal(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, doc := b.post(t, "/v1/me", "application/json", strings.NewReader(`{}`))
	if resp.StatusCode != http.StatusMethodNotAllowed || doc["code"] != "method_not_allowed" {
		t.Fatalf("POST /v1/me = %d %v", resp.StatusCode, doc)
	}
	for _, h := range []string{"X-Content-Type-Options", "Referrer-Policy", "Content-Security-Policy", "X-Request-Id", "Cache-Control"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("response lacks %s", h)
		}
	}
}
