package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"authd/adapters/argon2id"
	"authd/adapters/memory"
	"authd/adapters/totp"
	"authd/core/accounts"
	"authd/core/activity"
	"authd/core/auth"
	"authd/core/deletion"
	"authd/core/mfa"
	"authd/core/session"
	"authd/core/stepup"
)

// deletionFixture is the API on memory stores with the deletion and
// activity capabilities.
type deletionFixture struct {
	db       *memory.DB
	clock    *memory.Clock
	api      *Server
	sessions *session.Service
	deletion *deletion.Service
}

func newDeletionFixture(t *testing.T) deletionFixture {
	t.Helper()
	db := memory.New()
	clock := memory.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	act := activity.New(activity.Deps{Events: db, UA: memory.UAParser{}, Clock: clock, Random: rand.Reader})
	svc := session.New(session.Deps{Sessions: db, Users: db, Tx: db, Jobs: db, UA: memory.UAParser{}, Clock: clock,
		Random: rand.Reader, Activity: act}, session.Config{Lifetime: 30 * 24 * time.Hour, IdleTimeout: 7 * 24 * time.Hour})
	hasher := argon2id.New(argon2id.Params{MemoryKiB: 64, Time: 1, Threads: 1}, 2)
	second := mfa.New(mfa.Deps{Store: db, Users: db, Sessions: svc, TOTP: totp.New("authd.test"), Tx: db,
		Clock: clock, Random: rand.Reader}, mfa.Config{EncryptionKey: make([]byte, 32)})
	acc := accounts.New(accounts.Deps{Users: db, Tx: db, Jobs: db, Sessions: svc, Clock: clock, Random: rand.Reader,
		Hasher: hasher, SecondFactor: second})
	up := stepup.New(stepup.Deps{Hasher: hasher, Codes: second, Elevator: svc, Attempts: db, Tx: db, Clock: clock},
		stepup.Config{MaxAge: 10 * time.Minute})
	app, _ := url.Parse("https://app.example.test")
	del := deletion.New(deletion.Deps{Store: db, Data: db, Users: db, Sessions: svc, Tx: db, Jobs: db, Canceller: db,
		Activity: act, Clock: clock, Random: rand.Reader}, deletion.Config{Grace: 30 * 24 * time.Hour, AppURL: app})
	public, _ := url.Parse("http://localhost:8080")
	api := NewServer(Deps{Accounts: acc, Sessions: svc, MFA: second, StepUp: up, Deletion: del, Activity: act,
		Ready: func(context.Context) error { return nil }, Logger: slog.New(slog.DiscardHandler)},
		Config{PublicURL: public, AdminToken: strings.Repeat("a", 32)})
	return deletionFixture{db: db, clock: clock, api: api, sessions: svc, deletion: del}
}

// pendingUser is a signed-in user whose deletion is pending.
func (f deletionFixture) pendingUser(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	u := auth.User{ID: uuid.New(), Email: uuid.NewString()[:8] + "@example.com", EmailVerified: true, CreatedAt: f.clock.Now(),
		UpdatedAt: f.clock.Now()}
	if err := f.db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	s, err := f.sessions.Start(ctx, u.ID, auth.Client{IP: netip.MustParseAddr("192.0.2.1"), UserAgent: "ua"},
		auth.MethodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.deletion.Request(ctx, u.ID, s.Session.ID); err != nil {
		t.Fatal(err)
	}
	return s.Token
}

func (f deletionFixture) call(method, path, token string) (int, string) {
	req := httptest.NewRequest(method, path, strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	f.api.ServeHTTP(rec, req)
	var doc struct{ Code string }
	_ = json.NewDecoder(rec.Body).Decode(&doc)
	return rec.Code, doc.Code
}

// TestDeletionPendingClosesEveryAuthenticatedRouteButTheExceptions walks the
// whole route table: every route that asks for a session (401 without one)
// answers 403 deletion_pending for a user whose deletion is pending, unless
// allowedWhileDeletionPending lists it. A route added later is covered
// without editing the test, and closed unless listed.
func TestDeletionPendingClosesEveryAuthenticatedRouteButTheExceptions(t *testing.T) {
	t.Parallel()
	f := newDeletionFixture(t)
	token := f.pendingUser(t)
	authenticated, allowed := 0, 0
	err := f.api.routes().Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tmpl, err := route.GetPathTemplate()
		if err != nil {
			return nil
		}
		methods, err := route.GetMethods()
		if err != nil {
			return nil
		}
		path := strings.NewReplacer("{id}", uuid.NewString()).Replace(tmpl)
		for _, m := range methods {
			if strings.HasPrefix(tmpl, "/v1/admin/") {
				continue // the admin token's, not a session's
			}
			if status, code := f.call(m, path, ""); status != http.StatusUnauthorized || code != "unauthenticated" {
				continue // takes no session
			}
			authenticated++
			if allowedWhileDeletionPending[m+" "+tmpl] {
				// A user of its own: these routes may end the session or
				// the pending deletion the others are tried with.
				allowed++
				if status, code := f.call(m, path, f.pendingUser(t)); status == http.StatusForbidden && code == "deletion_pending" {
					t.Errorf("%s %s is allowed while deletion is pending, but answered 403 deletion_pending", m, tmpl)
				}
				continue
			}
			if status, code := f.call(m, path, token); status != http.StatusForbidden || code != "deletion_pending" {
				t.Errorf("%s %s answered %d %s while deletion is pending, want 403 deletion_pending", m, tmpl, status, code)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if authenticated < 10 || allowed != len(allowedWhileDeletionPending) {
		t.Fatalf("walked %d authenticated routes and %d allowed ones (want %d): the walk is broken",
			authenticated, allowed, len(allowedWhileDeletionPending))
	}
}

func TestAccountDeletionRoutes(t *testing.T) {
	t.Parallel()
	f := newDeletionFixture(t)
	token := f.pendingUser(t)
	if status, code := f.call("POST", "/v1/account/deletion", token); status != http.StatusConflict || code != "deletion_pending" {
		t.Fatalf("second request = %d %s, want 409 deletion_pending", status, code)
	}
	if status, _ := f.call("DELETE", "/v1/account/deletion", token); status != http.StatusNoContent {
		t.Fatalf("cancel = %d", status)
	}
	if status, code := f.call("DELETE", "/v1/account/deletion", token); status != http.StatusNotFound || code != "not_found" {
		t.Fatalf("second cancel = %d %s, want 404 not_found", status, code)
	}
	if status, _ := f.call("GET", "/v1/account/activity", token); status != http.StatusOK {
		t.Fatalf("activity after cancelling = %d", status)
	}
	f.clock.Advance(11 * time.Minute)
	if status, code := f.call("POST", "/v1/account/deletion", token); status != http.StatusForbidden || code != "step_up_required" {
		t.Fatalf("request without a recent login = %d %s, want 403 step_up_required", status, code)
	}
	if status, code := f.call("GET", "/v1/account/export", token); status != http.StatusForbidden || code != "step_up_required" {
		t.Fatalf("export without a recent login = %d %s, want 403 step_up_required", status, code)
	}
}
