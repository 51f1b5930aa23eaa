package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/adapters/argon2id"
	"authd/adapters/memory"
	"authd/adapters/totp"
	"authd/core/accounts"
	"authd/core/auth"
	"authd/core/mfa"
	"authd/core/session"
	"authd/core/stepup"
	"authd/ports"
)

// sessionsFixture is an API on the in-memory stores. It is an internal test
// so the benchmark can time the authenticated middleware on its own.
type sessionsFixture struct {
	db       *memory.DB
	clock    *memory.Clock
	sessions *session.Service
	api      *Server
	srv      *httptest.Server
}

func newSessionsFixture(t testing.TB) sessionsFixture {
	t.Helper()
	db := memory.New()
	clock := memory.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	f := newTestServer(t, db, db, db, db, clock)
	f.db, f.clock = db, clock
	f.srv = httptest.NewServer(f.api)
	t.Cleanup(f.srv.Close)
	return f
}

// newTestServer wires an API on the given stores, with cheap hashing and no
// logs, for these tests and the benchmark.
func newTestServer(t testing.TB, users ports.UserStore, sessions ports.SessionStore, tx ports.TxRunner,
	jobs ports.Enqueuer, clock ports.Clock) sessionsFixture {
	t.Helper()
	svc := session.New(session.Deps{Sessions: sessions, Users: users, Tx: tx, Jobs: jobs, UA: memory.UAParser{},
		Clock: clock, Random: rand.Reader},
		session.Config{Lifetime: 30 * 24 * time.Hour, IdleTimeout: 7 * 24 * time.Hour, TouchInterval: time.Minute})
	hasher := argon2id.New(argon2id.Params{MemoryKiB: 64, Time: 1, Threads: 1}, 2)
	acc := accounts.New(accounts.Deps{Users: users, Tx: tx, Jobs: jobs, Sessions: svc, Clock: clock, Random: rand.Reader,
		Hasher: hasher})
	// Second factor and step-up attempts on a side store: no user here has TOTP.
	side := memory.New()
	second := mfa.New(mfa.Deps{Store: side, Users: users, Sessions: svc, TOTP: totp.New("authd.test"), Tx: tx,
		Clock: clock, Random: rand.Reader}, mfa.Config{EncryptionKey: make([]byte, 32)})
	up := stepup.New(stepup.Deps{Hasher: hasher, Codes: second, Elevator: svc, Attempts: side, Tx: tx, Clock: clock},
		stepup.Config{MaxAge: 10 * time.Minute})
	public, _ := url.Parse("http://localhost:8080")
	api := NewServer(Deps{Accounts: acc, Sessions: svc, MFA: second, StepUp: up, Ready: func(context.Context) error { return nil },
		Logger: slog.New(slog.DiscardHandler)}, Config{PublicURL: public})
	return sessionsFixture{sessions: svc, api: api}
}

// signIn starts a session for a new user straight through the core and
// returns the user and the session's token.
func (f sessionsFixture) signIn(t *testing.T, verified bool) (auth.User, auth.IssuedSession) {
	t.Helper()
	u := auth.User{ID: uuid.New(), Email: uuid.NewString()[:8] + "@example.com", EmailVerified: verified,
		CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now()}
	if err := f.db.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u, f.another(t, u, "first device")
}

// another signs u in again from another user agent.
func (f sessionsFixture) another(t *testing.T, u auth.User, userAgent string) auth.IssuedSession {
	t.Helper()
	s, err := f.sessions.Start(context.Background(), u.ID,
		auth.Client{IP: netip.MustParseAddr("192.0.2.10"), UserAgent: userAgent}, auth.MethodPassword)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// call makes one request; token goes in as a Bearer credential, or as the
// cookie when viaCookie.
func (f sessionsFixture) call(t *testing.T, method, path, token string, viaCookie bool, hdr ...string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, nil)
	switch {
	case token != "" && viaCookie:
		req.AddCookie(&http.Cookie{Name: "authd_session", Value: token})
	case token != "":
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var doc map[string]any
	_ = json.Unmarshal(raw, &doc)
	return resp, doc
}

func wantStatus(t *testing.T, resp *http.Response, doc map[string]any, status int, code string) {
	t.Helper()
	if resp.StatusCode != status || (code != "" && doc["code"] != code) {
		t.Fatalf("%s %s = %d %v, want %d %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, doc, status, code)
	}
}

func TestListSessions(t *testing.T) {
	t.Parallel()
	f := newSessionsFixture(t)
	u, first := f.signIn(t, false)
	f.clock.Advance(time.Minute)
	second := f.another(t, u, "second device")
	f.signIn(t, false) // a stranger's session must not show up

	resp, doc := f.call(t, "GET", "/v1/sessions", first.Token, false)
	wantStatus(t, resp, doc, http.StatusOK, "")
	list := doc["sessions"].([]any)
	if len(list) != 2 {
		t.Fatalf("sessions = %v, want the user's two", list)
	}
	newest, oldest := list[0].(map[string]any), list[1].(map[string]any)
	if newest["id"] != second.Session.ID.String() || newest["current"] != false ||
		oldest["id"] != first.Session.ID.String() || oldest["current"] != true {
		t.Fatalf("order or current wrong: %v", list)
	}
	for _, field := range []string{"device_name", "browser", "os", "device_type", "ip", "auth_method", "amr",
		"created_at", "last_active_at", "expires_at"} {
		if _, ok := newest[field]; !ok {
			t.Errorf("session lacks %s: %v", field, newest)
		}
	}
	if newest["device_name"] != "second device" || newest["ip"] != "192.0.2.10" || newest["auth_method"] != "pwd" {
		t.Fatalf("session view = %v", newest)
	}
	if _, err := time.Parse(time.RFC3339, newest["last_active_at"].(string)); err != nil {
		t.Fatalf("last_active_at: %v", err)
	}
}

func TestRevokeSession(t *testing.T) {
	t.Parallel()
	t.Run("OtherSessionIsRefusedOnItsNextRequest", func(t *testing.T) {
		t.Parallel()
		f := newSessionsFixture(t)
		u, mine := f.signIn(t, false)
		other := f.another(t, u, "other")
		resp, doc := f.call(t, "DELETE", "/v1/sessions/"+other.Session.ID.String(), mine.Token, false)
		wantStatus(t, resp, doc, http.StatusNoContent, "")
		resp, doc = f.call(t, "GET", "/v1/me", other.Token, false)
		wantStatus(t, resp, doc, http.StatusUnauthorized, "unauthenticated")
		resp, doc = f.call(t, "GET", "/v1/me", mine.Token, false)
		wantStatus(t, resp, doc, http.StatusOK, "")
	})
	t.Run("AnotherUsersUnknownOrMalformedIdIsNotFound", func(t *testing.T) {
		t.Parallel()
		f := newSessionsFixture(t)
		_, mine := f.signIn(t, false)
		_, theirs := f.signIn(t, false)
		for _, id := range []string{theirs.Session.ID.String(), uuid.NewString(), "not-a-uuid", "revoke-others"} {
			resp, doc := f.call(t, "DELETE", "/v1/sessions/"+id, mine.Token, false)
			wantStatus(t, resp, doc, http.StatusNotFound, "not_found")
		}
		resp, doc := f.call(t, "GET", "/v1/me", theirs.Token, false)
		wantStatus(t, resp, doc, http.StatusOK, "")
	})
	t.Run("CurrentSessionViaCookieLogsOut", func(t *testing.T) {
		t.Parallel()
		f := newSessionsFixture(t)
		_, mine := f.signIn(t, false)
		resp, doc := f.call(t, "DELETE", "/v1/sessions/"+mine.Session.ID.String(), mine.Token, true)
		wantStatus(t, resp, doc, http.StatusNoContent, "")
		if c := resp.Cookies(); len(c) != 1 || c[0].Name != "authd_session" || c[0].MaxAge >= 0 {
			t.Fatalf("cookie not cleared: %v", c)
		}
		resp, doc = f.call(t, "GET", "/v1/me", mine.Token, true)
		wantStatus(t, resp, doc, http.StatusUnauthorized, "unauthenticated")
	})
	t.Run("OthersKeepsTheCurrentOne", func(t *testing.T) {
		t.Parallel()
		f := newSessionsFixture(t)
		u, mine := f.signIn(t, false)
		a, b := f.another(t, u, "a"), f.another(t, u, "b")
		resp, doc := f.call(t, "POST", "/v1/sessions/revoke-others", mine.Token, false)
		wantStatus(t, resp, doc, http.StatusOK, "")
		if doc["revoked"] != float64(2) {
			t.Fatalf("revoke-others = %v, want 2", doc)
		}
		for _, s := range []auth.IssuedSession{a, b} {
			resp, doc := f.call(t, "GET", "/v1/me", s.Token, false)
			wantStatus(t, resp, doc, http.StatusUnauthorized, "unauthenticated")
		}
		resp, doc = f.call(t, "POST", "/v1/sessions/revoke-others", mine.Token, false)
		if resp.StatusCode != http.StatusOK || doc["revoked"] != float64(0) {
			t.Fatalf("second revoke-others = %d %v, want 0", resp.StatusCode, doc)
		}
	})
}

func TestSessionCheck(t *testing.T) {
	t.Parallel()
	f := newSessionsFixture(t)
	unverifiedUser, unverified := f.signIn(t, false)
	verifiedUser, verified := f.signIn(t, true)
	t.Run("IdentityGoesInHeaders", func(t *testing.T) {
		resp, doc := f.call(t, "GET", "/v1/session/check", verified.Token, false)
		wantStatus(t, resp, doc, http.StatusOK, "")
		want := map[string]string{"X-User-Id": verifiedUser.ID.String(), "X-User-Email": verifiedUser.Email,
			"X-Email-Verified": "true", "X-Session-Id": verified.Session.ID.String(), "X-Auth-Method": "pwd",
			"X-AAL": "aal1", "X-AMR": "pwd"}
		for h, v := range want {
			if got := resp.Header.Get(h); got != v {
				t.Errorf("%s = %q, want %q", h, got, v)
			}
		}
	})
	t.Run("CookieFromAnotherSiteIsAccepted", func(t *testing.T) {
		resp, doc := f.call(t, "GET", "/v1/session/check", unverified.Token, true,
			"Sec-Fetch-Site", "cross-site", "Origin", "https://app.example")
		wantStatus(t, resp, doc, http.StatusOK, "")
		if resp.Header.Get("X-User-Id") != unverifiedUser.ID.String() || resp.Header.Get("X-Email-Verified") != "false" {
			t.Fatalf("headers = %v", resp.Header)
		}
	})
	t.Run("RequireVerifiedRefusesAnUnverifiedUser", func(t *testing.T) {
		resp, doc := f.call(t, "GET", "/v1/session/check?require=verified", unverified.Token, false)
		wantStatus(t, resp, doc, http.StatusForbidden, "email_unverified")
		if resp.Header.Get("X-User-Id") != "" {
			t.Fatal("a refused check must not name the user")
		}
		resp, doc = f.call(t, "GET", "/v1/session/check?require=verified", verified.Token, false)
		wantStatus(t, resp, doc, http.StatusOK, "")
	})
	t.Run("UnknownRequireIsAnInvalidRequest", func(t *testing.T) {
		for _, q := range []string{"require=admin", "require=verified,bogus", "require=verified&require=", "require="} {
			resp, doc := f.call(t, "GET", "/v1/session/check?"+q, verified.Token, false)
			wantStatus(t, resp, doc, http.StatusBadRequest, "invalid_request")
		}
	})
	t.Run("NoOrDeadSessionIsUnauthenticated", func(t *testing.T) {
		resp, doc := f.call(t, "GET", "/v1/session/check", "", false)
		wantStatus(t, resp, doc, http.StatusUnauthorized, "unauthenticated")
		resp, doc = f.call(t, "GET", "/v1/session/check", strings.Repeat("A", 43), true)
		wantStatus(t, resp, doc, http.StatusUnauthorized, "unauthenticated")
	})
}

func TestSignInReplacesThePresentedSession(t *testing.T) {
	t.Parallel()
	f := newSessionsFixture(t)
	const password = "a perfectly long password"
	post := func(t *testing.T, path, body, cookie string) (*http.Response, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("POST", f.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: "authd_session", Value: cookie})
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
	resp, doc := post(t, "/v1/signup", `{"email":"fixation@example.com","password":"`+password+`","return_token":true}`, "")
	wantStatus(t, resp, doc, http.StatusCreated, "")
	planted := doc["session"].(map[string]any)["session_token"].(string)

	resp, doc = post(t, "/v1/login", `{"email":"fixation@example.com","password":"wrong password entirely"}`, planted)
	wantStatus(t, resp, doc, http.StatusUnauthorized, "invalid_credentials")
	resp, doc = f.call(t, "GET", "/v1/me", planted, true)
	wantStatus(t, resp, doc, http.StatusOK, "") // a failed login changes nothing

	resp, doc = post(t, "/v1/login", `{"email":"fixation@example.com","password":"`+password+`"}`, planted)
	wantStatus(t, resp, doc, http.StatusOK, "")
	var fresh string
	for _, c := range resp.Cookies() {
		if c.Name == "authd_session" {
			fresh = c.Value
		}
	}
	if fresh == "" || fresh == planted {
		t.Fatalf("login did not issue a new cookie: %v", resp.Cookies())
	}
	resp, doc = f.call(t, "GET", "/v1/me", planted, true)
	wantStatus(t, resp, doc, http.StatusUnauthorized, "unauthenticated")
	resp, doc = f.call(t, "GET", "/v1/me", fresh, true)
	wantStatus(t, resp, doc, http.StatusOK, "")

	// Signing up for another account in the same browser replaces it too.
	resp, doc = post(t, "/v1/signup", `{"email":"second@example.com","password":"`+password+`"}`, fresh)
	wantStatus(t, resp, doc, http.StatusCreated, "")
	resp, doc = f.call(t, "GET", "/v1/me", fresh, true)
	wantStatus(t, resp, doc, http.StatusUnauthorized, "unauthenticated")
}
