package postgres_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"authd/adapters/memory"
	"authd/adapters/postgres"
	"authd/adapters/postgres/pgtest"
	"authd/adapters/riverqueue"
	"authd/core/activity"
	"authd/core/auth"
	"authd/core/deletion"
	"authd/core/session"
	"authd/ports/portstest"
)

func TestDeletionConformance(t *testing.T) {
	t.Parallel()
	portstest.RunDeletion(t, func(t *testing.T) portstest.DeletionStores {
		db := postgres.New(pgtest.New(t).Pool)
		v, sso, del := postgres.NewVerificationStore(db), postgres.NewSSOStore(db), postgres.NewDeletionStore(db)
		return portstest.DeletionStores{Users: postgres.NewUserStore(db), Sessions: postgres.NewSessionStore(db),
			MFA: postgres.NewMFAStore(db), Changes: v, Requests: v, Providers: sso, Identities: sso,
			Events: postgres.NewActivityStore(db), Deletion: del, Data: del, Tx: db}
	})
}

// deletionBundle is the deletion capability on a fresh database, with the
// real stores and an insert-only River client.
type deletionBundle struct {
	pool     *pgxpool.Pool
	db       *postgres.DB
	clock    *memory.Clock
	svc      *deletion.Service
	sessions *session.Service
	activity *activity.Service
	queue    *riverqueue.Queue
}

func setupDeletion(t *testing.T) deletionBundle {
	t.Helper()
	pool := pgtest.New(t).Pool
	db := postgres.New(pool)
	queue, err := riverqueue.New(pool, riverqueue.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	clock := memory.NewClock(time.Now().UTC().Truncate(time.Microsecond))
	users, store := postgres.NewUserStore(db), postgres.NewDeletionStore(db)
	act := activity.New(activity.Deps{Events: postgres.NewActivityStore(db), UA: memory.UAParser{}, Clock: clock,
		Random: rand.Reader})
	sessions := session.New(session.Deps{Sessions: postgres.NewSessionStore(db), Users: users, Tx: db, Jobs: queue,
		UA: memory.UAParser{}, Clock: clock, Random: rand.Reader}, session.Config{Lifetime: time.Hour, IdleTimeout: time.Hour})
	app, _ := url.Parse("https://app.example.test")
	svc := deletion.New(deletion.Deps{Store: store, Data: store, Users: users, Sessions: sessions, Tx: db, Jobs: queue,
		Canceller: queue, Activity: act, Clock: clock, Random: rand.Reader},
		deletion.Config{Grace: 30 * 24 * time.Hour, AppURL: app})
	return deletionBundle{pool: pool, db: db, clock: clock, svc: svc, sessions: sessions, activity: act, queue: queue}
}

func (b deletionBundle) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := b.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestDeletionRequestAndCancelCommitWithTheirJobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupDeletion(t)
	u := auth.User{ID: uuid.New(), Email: "carol@example.com", CreatedAt: b.clock.Now(), UpdatedAt: b.clock.Now()}
	if err := postgres.NewUserStore(b.db).CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	req, err := b.svc.Request(ctx, u.ID, uuid.Nil)
	if err != nil {
		t.Fatal(err)
	}
	var state string
	var scheduled time.Time
	if err := b.pool.QueryRow(ctx, `SELECT state, scheduled_at FROM river_job WHERE id = $1`, req.JobID).
		Scan(&state, &scheduled); err != nil {
		t.Fatal(err)
	}
	if state != "scheduled" || !scheduled.Equal(req.ExecuteAt) {
		t.Fatalf("hard-delete job is %s at %v, want scheduled at %v", state, scheduled, req.ExecuteAt)
	}
	if err := b.svc.Cancel(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := b.pool.QueryRow(ctx, `SELECT state FROM river_job WHERE id = $1`, req.JobID).Scan(&state); err != nil {
		t.Fatal(err)
	}
	if state != "cancelled" {
		t.Fatalf("after cancel the job is %s, want cancelled", state)
	}
	if n := b.count(t, `SELECT count(*) FROM river_job WHERE kind = 'send_email' AND args->>'email' IN
		('deletion_scheduled', 'deletion_cancelled')`); n != 2 {
		t.Fatalf("%d deletion emails queued, want scheduled and cancelled", n)
	}
	// Requested again: the same request, a new job; the old job, even run,
	// does nothing.
	again, err := b.svc.Request(ctx, u.ID, uuid.Nil)
	if err != nil || again.ID != req.ID || again.JobID == req.JobID {
		t.Fatalf("second request = %+v, %v; want the same ID and a new job", again, err)
	}
	b.clock.Advance(31 * 24 * time.Hour)
	if out, err := b.svc.Execute(ctx, req.ID, req.JobID); err != nil || out.Deleted {
		t.Fatalf("the superseded job executed: %+v, %v", out, err)
	}
	if n := b.count(t, `SELECT count(*) FROM users WHERE id = $1`, u.ID); n != 1 {
		t.Fatal("the superseded job deleted the account")
	}
	if _, err := b.svc.Execute(ctx, again.ID, again.JobID); err != nil {
		t.Fatal(err)
	}
	if n := b.count(t, `SELECT count(*) FROM users WHERE id = $1`, u.ID); n != 0 {
		t.Fatal("the current job did not delete the account")
	}
	// Every job of the request but the running one is gone with the account.
	if n := b.count(t, `SELECT count(*) FROM river_job WHERE args->>'deletion_request_id' = $1`, req.ID.String()); n != 1 {
		t.Fatalf("%d jobs of the request left, want 1 (the running one)", n)
	}
}

// TestPendingDeletionLookupUsesItsIndex holds the per-request session lookup,
// which now also tells a pending deletion, to index probes on tables big
// enough that the planner would rather scan them if it could.
func TestPendingDeletionLookupUsesItsIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t).Pool
	_, err := pool.Exec(ctx, `
		INSERT INTO users (id, email, created_at, updated_at)
		SELECT gen_random_uuid(), 'u' || g || '@example.com', now(), now() FROM generate_series(1, 5000) g;
		INSERT INTO device_sessions (id, user_id, token_hash, device_name, auth_method, created_at,
			last_active_at, expires_at, reauthenticated_at)
		SELECT gen_random_uuid(), u.id, sha256(convert_to(u.id::text || g, 'UTF8')), 'd', 'pwd',
			now(), now(), now() + interval '1 day', now()
		FROM users u, generate_series(1, 3) g;
		INSERT INTO deletion_requests (id, user_id, requested_at, execute_at, cancelled, cancelled_at, job_id)
		SELECT gen_random_uuid(), id, now(), now() + interval '30 days', c, CASE WHEN c THEN now() END, 1
		FROM (SELECT id, random() < 0.5 AS c FROM users TABLESAMPLE BERNOULLI (20)) s;
		ANALYZE users; ANALYZE device_sessions; ANALYZE deletion_requests;`)
	if err != nil {
		t.Fatal(err)
	}
	var plan bytes.Buffer
	rows, err := pool.Query(ctx, "EXPLAIN "+postgres.FindByTokenSQL, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line + "\n")
	}
	if strings.Contains(plan.String(), "Seq Scan") || !strings.Contains(plan.String(), "deletion_requests_user_id_key") {
		t.Fatalf("the per-request lookup does not probe deletion_requests_user_id_key:\n%s", plan.String())
	}
}
