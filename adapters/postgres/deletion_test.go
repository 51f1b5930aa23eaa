package postgres_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"authd/adapters/memory"
	"authd/adapters/postgres"
	"authd/adapters/postgres/pgtest"
	"authd/adapters/riverqueue"
	"authd/core/activity"
	"authd/core/auth"
	"authd/core/deletion"
	"authd/core/session"
	"authd/ports"
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

// fill gives u rows in every table that can hold something about a user,
// through the stores and services that write them in production.
func (b deletionBundle) fill(t *testing.T, u auth.User, provider auth.SAMLProvider) ports.DeletionRequest {
	t.Helper()
	ctx := auth.WithClient(context.Background(), auth.Client{IP: netip.MustParseAddr("203.0.113.9"), UserAgent: "Firefox"})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// Two devices: the second one's sign-in queues a new-device email job.
	first, err := b.sessions.Start(ctx, u.ID, auth.Client{IP: netip.MustParseAddr("203.0.113.9"), UserAgent: "Firefox"}, auth.MethodPassword)
	must(err)
	_, err = b.sessions.Start(ctx, u.ID, auth.Client{IP: netip.MustParseAddr("198.51.100.1"), UserAgent: "Safari"}, auth.MethodPassword)
	must(err)
	now := b.clock.Now()
	mfa := postgres.NewMFAStore(b.db)
	must(mfa.PutTOTPCredential(ctx, ports.TOTPCredential{UserID: u.ID, SealedSecret: []byte("sealed"), CreatedAt: now}))
	must(mfa.ConfirmTOTPCredential(ctx, u.ID, 1, now))
	must(mfa.ReplaceRecoveryCodes(ctx, u.ID, [][]byte{hash("rc1" + u.Email), hash("rc2" + u.Email)}, now))
	must(mfa.CreateMFAChallenge(ctx, ports.MFAChallenge{ID: uuid.New(), UserID: u.ID, TokenHash: hash("mfa" + u.Email),
		CreatedAt: now, ExpiresAt: now.Add(time.Minute)}))
	_, _, err = mfa.ClaimStepUpAttempt(ctx, first.Session.ID, u.ID, now, time.Minute, 5)
	must(err)
	v := postgres.NewVerificationStore(b.db)
	must(v.ReplaceVerification(ctx, ports.Verification{ID: uuid.New(), UserID: u.ID, TokenHash: hash("verify" + u.Email),
		Email: u.Email, Purpose: ports.PurposeVerifyEmail, ExpiresAt: now.Add(time.Hour), CreatedAt: now}))
	must(v.RecordEmailRequest(ctx, ports.EmailRequest{UserID: u.ID, Purpose: ports.PurposePasswordReset,
		IP: netip.MustParseAddr("203.0.113.9"), CreatedAt: now}))
	must(v.CreateEmailChange(ctx, ports.EmailChange{ID: uuid.New(), UserID: u.ID, OldEmail: "before-" + u.Email,
		NewEmail: u.Email, ChangedAt: now}))
	sso := postgres.NewSSOStore(b.db)
	_, err = sso.CreateSAMLIdentity(ctx, auth.Identity{ID: uuid.New(), UserID: u.ID, ProviderID: provider.ID,
		NameID: "nameid-" + u.Email, CreatedAt: now, LastLoginAt: now})
	must(err)
	must(sso.CreateSAMLRequest(ctx, ports.SAMLRequest{ID: uuid.New(), RequestID: "_req-" + u.ID.String(),
		ProviderID: provider.ID, BindingHash: hash("binding" + u.Email), ReturnTo: "/", Purpose: ports.SAMLPurposeStepUp,
		SessionID: first.Session.ID, UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}))
	must(b.activity.Record(ctx, u.ID, ports.EventLogin, map[string]string{"amr": "pwd"}))
	until := now.Add(15 * time.Minute)
	must(postgres.NewThrottleStore(b.db).PutAccountFailures(ctx, ports.AccountFailures{UserID: u.ID, Failures: 10,
		LastAttemptAt: now, LastFailureAt: now, LockedUntil: &until}))
	must(b.db.WithinTx(ctx, func(ctx context.Context) error {
		_, err := b.queue.Enqueue(ctx, ports.SendEmailJob{UserID: u.ID, Email: ports.EmailVerify}, ports.JobOpts{})
		return err
	}))
	// A job about something else whose recorded error quotes the address,
	// as an SMTP server's rejection may.
	_, err = b.pool.Exec(ctx, `
		INSERT INTO river_job (args, kind, max_attempts, queue, state, errors)
		VALUES ('{}', 'other_kind', 25, 'email', 'retryable',
			ARRAY[jsonb_build_object('attempt', 1, 'at', now(), 'error', '550 no such mailbox: ' || upper($1::text))])`,
		u.Email)
	must(err)
	req, err := b.svc.Request(ctx, u.ID, first.Session.ID)
	must(err)
	return req
}

func hash(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

// schemaTable is a table of the public schema and whether it references
// users (a foreign key to it, or a user_id column).
type schemaTable struct {
	name       string
	references bool
}

// schemaTables lists every table of the schema from the catalog, so a table
// added later is scanned without editing the test.
func schemaTables(t *testing.T, pool *pgxpool.Pool) []schemaTable {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT c.table_name,
			EXISTS (SELECT 1 FROM information_schema.columns k
				WHERE k.table_schema = c.table_schema AND k.table_name = c.table_name AND k.column_name = 'user_id')
			OR EXISTS (SELECT 1 FROM pg_constraint f
				WHERE f.contype = 'f' AND f.conrelid = (quote_ident(c.table_name))::regclass
					AND f.confrelid = 'users'::regclass)
		FROM information_schema.tables c
		WHERE c.table_schema = 'public' AND c.table_type = 'BASE TABLE'
		ORDER BY c.table_name`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (schemaTable, error) {
		var st schemaTable
		err := r.Scan(&st.name, &st.references)
		return st, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) < 10 {
		t.Fatalf("only %d tables listed: the listing is broken", len(tables))
	}
	return tables
}

// mentions counts, per table, the rows whose text (every column: uuids,
// text, jsonb, arrays) holds the user's ID or, in any case, their address.
func mentions(t *testing.T, pool *pgxpool.Pool, tables []schemaTable, u auth.User) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, st := range tables {
		var n int
		ident := pgx.Identifier{st.name}.Sanitize()
		err := pool.QueryRow(context.Background(), fmt.Sprintf(
			`SELECT count(*) FROM %s x WHERE strpos(lower(x::text), $1) > 0 OR strpos(lower(x::text), $2) > 0`, ident),
			u.ID.String(), strings.ToLower(u.Email)).Scan(&n)
		if err != nil {
			t.Fatalf("scan %s: %v", st.name, err)
		}
		out[st.name] = n
	}
	return out
}

func TestHardDeleteLeavesNothingOfTheUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupDeletion(t)
	provider := auth.SAMLProvider{ID: uuid.New(), Domain: "corp.example", EntityID: "https://idp.corp.example",
		SSOURL: "https://idp.corp.example/sso", Certificates: []string{"pem"}, CreatedAt: b.clock.Now(), UpdatedAt: b.clock.Now()}
	if err := postgres.NewSSOStore(b.db).CreateSAMLProvider(ctx, provider); err != nil {
		t.Fatal(err)
	}
	users := postgres.NewUserStore(b.db)
	gone := auth.User{ID: uuid.New(), Email: "Alice.Gone@Example.com", PasswordHash: "$argon2id$x", CreatedAt: b.clock.Now(),
		UpdatedAt: b.clock.Now()}
	kept := auth.User{ID: uuid.New(), Email: "bob.kept@example.com", PasswordHash: "$argon2id$y", CreatedAt: b.clock.Now(),
		UpdatedAt: b.clock.Now()}
	var req ports.DeletionRequest
	for _, u := range []auth.User{gone, kept} {
		if err := users.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		r := b.fill(t, u, provider)
		if u.ID == gone.ID {
			req = r
		}
	}
	tables := schemaTables(t, b.pool)
	before := mentions(t, b.pool, tables, gone)
	keptBefore := mentions(t, b.pool, tables, kept)

	t.Run("EveryTableAboutUsersHasFixtureRows", func(t *testing.T) {
		// A table added later that can hold a user's rows fails here until
		// the fixture above writes it, and so until this test scans it.
		for _, st := range tables {
			if (st.references || st.name == "river_job") && before[st.name] == 0 {
				t.Errorf("table %s references users but the fixture gave the user no row in it: extend fill", st.name)
			}
		}
	})
	if t.Failed() {
		t.FailNow()
	}

	b.clock.Advance(30*24*time.Hour + time.Second)
	start := time.Now()
	out, err := b.svc.Execute(ctx, req.ID, req.JobID)
	if err != nil || !out.Deleted || out.UserID != gone.ID {
		t.Fatalf("execute = %+v, %v; want the account deleted", out, err)
	}
	t.Logf("hard delete of a user with rows in %d tables: %v", len(tables), time.Since(start))

	t.Run("OnlyTheNoticeHoldsTheAddressUntilTheEmailIsSent", func(t *testing.T) {
		after := mentions(t, b.pool, tables, gone)
		for name, n := range after {
			if want := map[bool]int{true: 1, false: 0}[name == "deletion_notices"]; n != want {
				t.Errorf("%s: %d rows mention the deleted user, want %d", name, n, want)
			}
		}
		var noticeID uuid.UUID
		if err := b.pool.QueryRow(ctx, `SELECT (args->>'deletion_notice_id')::uuid FROM river_job
			WHERE kind = 'send_account_deleted_email'`).Scan(&noticeID); err != nil {
			t.Fatalf("no email job names the notice: %v", err)
		}
		email, err := b.svc.DeletedEmail(ctx, noticeID)
		if err != nil || email.To != gone.Email || email.Kind != ports.EmailAccountDeleted {
			t.Fatalf("deleted email = %+v, %v; want to %s", email, err, gone.Email)
		}
		if err := b.svc.ForgetNotice(ctx, noticeID); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("AfterTheEmailNoTableMentionsTheUser", func(t *testing.T) {
		for name, n := range mentions(t, b.pool, tables, gone) {
			if n != 0 {
				t.Errorf("%s: %d rows still mention the deleted user", name, n)
			}
		}
		// Only the executing job's own row is left of the user's jobs: River
		// finishes it, and it names a request that no longer exists.
		if n := b.count(t, `SELECT count(*) FROM river_job WHERE kind = 'hard_delete_account'
			AND args->>'deletion_request_id' = $1`, req.ID.String()); n != 1 {
			t.Fatalf("%d hard-delete jobs of the request left, want only the running one", n)
		}
	})
	t.Run("TheOtherUserIsUntouched", func(t *testing.T) {
		if got := mentions(t, b.pool, tables, kept); !mapsEqual(got, keptBefore) {
			t.Fatalf("the other user's rows changed:\nbefore %v\nafter  %v", keptBefore, got)
		}
		u, err := users.FindUserByEmail(ctx, kept.Email)
		if err != nil || u.DeletionAt == nil {
			t.Fatalf("the other user (%v) lost their pending deletion: %+v", err, u)
		}
	})
	t.Run("SecondRunFindsNothingToDo", func(t *testing.T) {
		out, err := b.svc.Execute(ctx, req.ID, req.JobID)
		if err != nil || out.Deleted {
			t.Fatalf("second run = %+v, %v; want nothing done", out, err)
		}
	})
	t.Run("TheAddressSignsUpAsANewAccount", func(t *testing.T) {
		again := auth.User{ID: uuid.New(), Email: gone.Email, CreatedAt: b.clock.Now(), UpdatedAt: b.clock.Now()}
		if err := users.CreateUser(ctx, again); err != nil {
			t.Fatalf("the address is still taken: %v", err)
		}
		d, err := postgres.NewDeletionStore(b.db).ExportUserData(ctx, again.ID)
		if err != nil || len(d.Sessions)+len(d.Events)+len(d.Identities)+len(d.EmailChanges) != 0 || d.Deletion != nil {
			t.Fatalf("the new account inherits %+v (%v)", d, err)
		}
	})
}

func mapsEqual(a, b map[string]int) bool {
	keys := func(m map[string]int) []string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	if !slices.Equal(keys(a), keys(b)) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
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

// TestHardDeleteMatchesTheAddressAsAWholeWord deletes jobs that quote the
// user's address and keeps those quoting a longer one that contains it.
func TestHardDeleteMatchesTheAddressAsAWholeWord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupDeletion(t)
	u := auth.User{ID: uuid.New(), Email: "Al@Example.com", CreatedAt: b.clock.Now(), UpdatedAt: b.clock.Now()}
	if err := postgres.NewUserStore(b.db).CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	quoting := func(address string) int64 {
		var id int64
		err := b.pool.QueryRow(ctx, `
			INSERT INTO river_job (args, kind, max_attempts, queue, state, errors)
			VALUES ('{}', 'other_kind', 25, 'email', 'retryable',
				ARRAY[jsonb_build_object('attempt', 1, 'at', now(), 'error', '550 rejected: <' || $1::text || '>')])
			RETURNING id`, address).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	theirs := quoting("al@example.com")
	longer := []int64{quoting("val@example.com"), quoting("al@example.community")}
	req, err := b.svc.DeleteNow(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := b.svc.Execute(ctx, req.ID, req.JobID); err != nil || !out.Deleted {
		t.Fatalf("execute = %+v, %v", out, err)
	}
	if n := b.count(t, `SELECT count(*) FROM river_job WHERE id = $1`, theirs); n != 0 {
		t.Fatal("the job quoting the user's address is left")
	}
	if n := b.count(t, `SELECT count(*) FROM river_job WHERE id = ANY($1)`, longer); n != len(longer) {
		t.Fatalf("%d of the %d jobs quoting other addresses are left", n, len(longer))
	}
}
