package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/adapters/memory"
	"authd/adapters/postgres"
	"authd/adapters/postgres/pgtest"
	"authd/core/auth"
	"authd/ports"
)

// BenchmarkAuthenticated times what every authenticated request pays: the
// middleware with its one session lookup (Middleware), and a whole forward-
// auth request through every layer (SessionCheck). The clock stands still,
// so last_active_at is never due: the steady state, where at most one write
// a minute per session is amortised away.
func BenchmarkAuthenticated(b *testing.B) {
	b.Run("Memory", func(b *testing.B) {
		db := memory.New()
		benchAuthenticated(b, db, db, db, db)
	})
	b.Run("Postgres", func(b *testing.B) {
		pg := postgres.New(pgtest.New(b).Pool)
		benchAuthenticated(b, postgres.NewUserStore(pg), postgres.NewSessionStore(pg), pg, noJobs{})
	})
}

// noJobs refuses every job; the benchmark's one sign-in enqueues none.
type noJobs struct{}

func (noJobs) Enqueue(context.Context, ports.Job, ports.JobOpts) (int64, error) {
	return 0, errors.New("no jobs in a benchmark")
}

func benchAuthenticated(b *testing.B, users ports.UserStore, sessions ports.SessionStore, tx ports.TxRunner, jobs ports.Enqueuer) {
	clock := memory.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	f := newTestServer(b, users, sessions, tx, jobs, clock)
	ctx := context.Background()
	u := auth.User{ID: uuid.New(), Email: "bench@example.com", CreatedAt: clock.Now(), UpdatedAt: clock.Now()}
	if err := users.CreateUser(ctx, u); err != nil {
		b.Fatal(err)
	}
	issued, err := f.sessions.Start(ctx, u.ID, auth.Client{IP: netip.MustParseAddr("192.0.2.1"), UserAgent: "bench"},
		auth.MethodPassword)
	if err != nil {
		b.Fatal(err)
	}

	b.Run("Middleware", func(b *testing.B) {
		var seen uuid.UUID
		h := f.api.authenticated(func(_ http.ResponseWriter, r *http.Request) { seen = principalFrom(r.Context()).User.ID })
		req := httptest.NewRequest(http.MethodGet, "/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+issued.Token)
		w := httptest.NewRecorder()
		b.ReportAllocs()
		for b.Loop() {
			h(w, req)
		}
		if seen != u.ID {
			b.Fatalf("the request was not authenticated: %d %s", w.Code, w.Body)
		}
	})
	b.Run("SessionCheck", func(b *testing.B) {
		req := httptest.NewRequest(http.MethodGet, "/v1/session/check", nil)
		req.AddCookie(&http.Cookie{Name: "authd_session", Value: issued.Token})
		var w *httptest.ResponseRecorder
		b.ReportAllocs()
		for b.Loop() {
			w = httptest.NewRecorder()
			f.api.ServeHTTP(w, req)
		}
		if w.Code != http.StatusOK || w.Header().Get("X-User-Id") != u.ID.String() {
			b.Fatalf("check = %d %s", w.Code, w.Body)
		}
	})
}
