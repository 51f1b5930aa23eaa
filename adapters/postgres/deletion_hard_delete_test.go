package postgres_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"authd/adapters/postgres"
	"authd/core/auth"
	"authd/ports"
)

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
