package main

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"authd/adapters/postgres/pgtest"
	"authd/adapters/smtpmail/smtptest"
)

// Subjects of the deletion emails.
const (
	subjectDeletionScheduled = "Your authd account is scheduled for deletion"
	subjectDeletionCancelled = "Your authd account will not be deleted"
	subjectAccountDeleted    = "Your authd account has been deleted"
)

const adminToken = "an-admin-token-long-enough-for-the-rule-0123456789"

// startDeletion runs authd with the real worker, an SMTP server, a grace of
// two seconds and fast retries.
func startDeletion(t *testing.T) (*instance, *smtptest.Server) {
	t.Helper()
	return startWithSMTP(t, map[string]string{"AUTHD_DELETION_GRACE": "2s", "AUTHD_ADMIN_TOKEN": adminToken})
}

// userID is the ID of the user b is signed in as.
func (b *browser) userID(t *testing.T) string {
	t.Helper()
	return b.me(t)["id"].(string)
}

// mentions counts the rows of every table of the schema whose text holds s
// (case aside): what a deleted user must leave none of.
func (in *instance) mentions(t *testing.T, s string) map[string]int {
	t.Helper()
	rows, err := in.db.Pool.Query(context.Background(), `
		SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	out := map[string]int{}
	for _, name := range tables {
		if n := in.scalar(t, `SELECT count(*) FROM "`+name+`" x WHERE strpos(lower(x::text), lower($1)) > 0`, s); n > 0 {
			out[name] = n
		}
	}
	return out
}

var cancelLink = regexp.MustCompile(`https://app\.example\.test/account/cancel-deletion\b`)

func TestAccountDeletionEndToEnd(t *testing.T) {
	t.Parallel()
	in, srv := startDeletion(t)

	t.Run("CancelledInTimeNothingIsDeleted", func(t *testing.T) {
		t.Parallel()
		b := in.browser("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
		b.signupEmail(t, "keep@example.com")
		phone := in.browser("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)")
		phone.do("POST", "/v1/login", map[string]any{"email": "keep@example.com", "password": emailPassword}).
			want(t, http.StatusOK)

		resp := b.do("POST", "/v1/account/deletion", nil).want(t, http.StatusAccepted).json(t)
		executeAt, err := time.Parse(time.RFC3339Nano, resp["execute_at"].(string))
		if err != nil || time.Until(executeAt) > 3*time.Second {
			t.Fatalf("execute_at = %v (%v), want about two seconds from now", resp["execute_at"], err)
		}
		phone.do("GET", "/v1/me", nil).want(t, http.StatusUnauthorized, "unauthenticated")
		if me := b.me(t); me["deletion"] == nil {
			t.Fatalf("/v1/me shows no pending deletion: %v", me)
		}
		b.do("POST", "/v1/account/deletion", nil).want(t, http.StatusConflict, "deletion_pending")

		// Within the two seconds. The scheduled email goes out or, when the
		// cancellation overtakes it, is dropped; the next test reads it.
		b.do("DELETE", "/v1/account/deletion", nil).want(t, http.StatusNoContent)
		waitEmail(t, srv, "keep@example.com", subjectDeletionCancelled)
		if me := b.me(t); me["deletion"] != nil {
			t.Fatalf("/v1/me still shows the deletion: %v", me)
		}
		b.do("DELETE", "/v1/account/deletion", nil).want(t, http.StatusNotFound, "not_found")
		b.do("GET", "/v1/sessions", nil).want(t, http.StatusOK)
		if state := in.scalar(t, `SELECT count(*) FROM river_job WHERE kind = 'hard_delete_account' AND state = 'cancelled'`); state != 1 {
			t.Fatalf("%d cancelled hard-delete jobs, want 1", state)
		}

		// A later deletion of someone else is a barrier: once it has run,
		// the cancelled one's time has long passed too.
		other := in.browser("curl/8.5.0")
		other.signupEmail(t, "barrier@example.com")
		other.do("POST", "/v1/account/deletion", nil).want(t, http.StatusAccepted)
		waitEmail(t, srv, "barrier@example.com", subjectAccountDeleted)
		if b.me(t)["email"] != "keep@example.com" {
			t.Fatal("the cancelled account is gone")
		}
		in.browser("x").do("POST", "/v1/login", map[string]any{"email": "keep@example.com", "password": emailPassword}).
			want(t, http.StatusOK)
	})

	t.Run("AfterTheGraceTheAccountIsGone", func(t *testing.T) {
		t.Parallel()
		b := in.browser("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15")
		b.signupEmail(t, "leaving@example.com")
		id := b.userID(t)
		b.do("POST", "/v1/account/deletion", nil).want(t, http.StatusAccepted)
		m := waitEmail(t, srv, "leaving@example.com", subjectDeletionScheduled)
		if !cancelLink.MatchString(m.Text) || !cancelLink.MatchString(m.HTML) {
			t.Fatalf("the email lacks the cancel link:\n%s", m.Text)
		}
		waitEmail(t, srv, "leaving@example.com", subjectAccountDeleted)

		b.do("GET", "/v1/me", nil).want(t, http.StatusUnauthorized, "unauthenticated")
		in.browser("x").do("POST", "/v1/login", map[string]any{"email": "leaving@example.com", "password": emailPassword}).
			want(t, http.StatusUnauthorized, "invalid_credentials")
		// The notice is forgotten once its email is sent: nothing of the
		// user is left anywhere.
		eventually(t, "the deleted user's last trace to go", func() bool {
			return len(in.mentions(t, id)) == 0 && len(in.mentions(t, "leaving@example.com")) == 0
		})
		// The address is free: signing up again makes a new account.
		again := in.browser("y")
		again.signupEmail(t, "leaving@example.com")
		if again.userID(t) == id {
			t.Fatal("the new account has the deleted one's ID")
		}
	})
}

func TestWhileDeletionIsPendingOnlyReadingCancellingAndSigningOutWork(t *testing.T) {
	t.Parallel()
	// The default grace: nothing runs during the test.
	in := startAuthd(t, nil, "serve", "--no-worker")
	b := in.browser("pending-device")
	b.signupEmail(t, "pending@example.com")
	b.do("POST", "/v1/account/deletion", nil).want(t, http.StatusAccepted)

	for _, r := range []struct{ method, path string }{
		{"GET", "/v1/sessions"}, {"POST", "/v1/sessions/revoke-others"}, {"GET", "/v1/session/check"},
		{"POST", "/v1/step-up"}, {"POST", "/v1/mfa/totp/enroll"}, {"POST", "/v1/email/verify/resend"},
		{"POST", "/v1/password/change"}, {"GET", "/v1/account/export"}, {"GET", "/v1/account/activity"},
	} {
		var body any
		if r.method == "POST" {
			body = map[string]any{}
		}
		b.do(r.method, r.path, body).want(t, http.StatusForbidden, "deletion_pending")
	}
	// Signing in again is allowed, and the user sees the deletion.
	phone := in.browser("pending-phone")
	signedIn := phone.do("POST", "/v1/login", map[string]any{"email": "pending@example.com", "password": emailPassword}).
		want(t, http.StatusOK).json(t)
	if signedIn["user"].(map[string]any)["deletion"] == nil {
		t.Fatalf("the login's user shows no deletion: %v", signedIn["user"])
	}
	phone.do("POST", "/v1/logout", nil).want(t, http.StatusNoContent)
	b.do("DELETE", "/v1/account/deletion", nil).want(t, http.StatusNoContent)
	b.do("GET", "/v1/sessions", nil).want(t, http.StatusOK)
}

func TestHardDeleteInterruptedRunsAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	in, srv := startDeletion(t)
	b := in.browser("interrupted")
	b.signupEmail(t, "interrupted@example.com")
	id := b.userID(t)
	waitEmail(t, srv, "interrupted@example.com", subjectVerify)

	// The last statement of the delete fails while test_hold has a row:
	// everything before it in the transaction must roll back with it.
	_, err := in.db.Pool.Exec(ctx, `
		CREATE TABLE test_hold (held boolean);
		INSERT INTO test_hold VALUES (true);
		CREATE FUNCTION test_fail_delete() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF EXISTS (SELECT 1 FROM test_hold) THEN
				RAISE EXCEPTION 'injected failure';
			END IF;
			RETURN OLD;
		END $$;
		CREATE TRIGGER test_fail_delete BEFORE DELETE ON users FOR EACH ROW EXECUTE FUNCTION test_fail_delete();`)
	if err != nil {
		t.Fatal(err)
	}
	before := in.mentions(t, id)
	if before["river_job"] == 0 || before["device_sessions"] == 0 || before["security_events"] == 0 {
		t.Fatalf("the user has too little to lose: %v", before)
	}

	admin := in.browser("admin")
	admin.do("DELETE", "/v1/admin/users/"+id, nil).want(t, http.StatusUnauthorized, "unauthenticated")
	admin.headers["Authorization"] = "Bearer " + adminToken
	admin.do("DELETE", "/v1/admin/users/00000000-0000-4000-8000-000000000000", nil).want(t, http.StatusNotFound, "not_found")
	admin.do("DELETE", "/v1/admin/users/not-a-uuid", nil).want(t, http.StatusNotFound, "not_found")
	admin.do("DELETE", "/v1/admin/users/"+id, nil).want(t, http.StatusAccepted)

	eventually(t, "the hard delete to fail twice", func() bool {
		return in.scalar(t, `SELECT coalesce(max(cardinality(errors)), 0) FROM river_job WHERE kind = 'hard_delete_account'`) >= 2
	})
	after := in.mentions(t, id)
	for table, n := range before {
		// The request row (and its job) are new; nothing that was there went.
		if after[table] < n {
			t.Fatalf("a failed delete removed rows of %s: %d before, %d after", table, n, after[table])
		}
	}
	b.do("GET", "/v1/me", nil).want(t, http.StatusOK)

	if _, err := in.db.Pool.Exec(ctx, `DELETE FROM test_hold`); err != nil {
		t.Fatal(err)
	}
	waitEmail(t, srv, "interrupted@example.com", subjectAccountDeleted)
	b.do("GET", "/v1/me", nil).want(t, http.StatusUnauthorized, "unauthenticated")
	// River records the completion a moment after the work (and the email
	// it queued) is done.
	eventually(t, "the hard delete to complete after its failures", func() bool {
		return in.scalar(t, `SELECT count(*) FROM river_job WHERE kind = 'hard_delete_account'
			AND state = 'completed' AND attempt >= 3 AND cardinality(errors) >= 2`) == 1
	})
	eventually(t, "the deleted user's last trace to go", func() bool { return len(in.mentions(t, id)) == 0 })
}

func TestAdminAPIOffMeansNoUserDeletion(t *testing.T) {
	t.Parallel()
	in := startAuthd(t, nil, "serve", "--no-worker")
	b := in.browser("a")
	b.signupEmail(t, "stays@example.com")
	id := b.userID(t)
	admin := in.browser("admin")
	admin.headers["Authorization"] = "Bearer " + adminToken
	admin.do("DELETE", "/v1/admin/users/"+id, nil).want(t, http.StatusNotFound, "not_found")
	b.me(t)
}

func TestDeletionAndExportNeedARecentAuthentication(t *testing.T) {
	t.Parallel()
	in, clock := startMFA(t, pgtest.New(t), nil)
	b := in.browser("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
	b.signupEmail(t, "recent@example.com")
	clock.Advance(11 * time.Minute)
	wantStepUp(t, b.do("POST", "/v1/account/deletion", nil), "password")
	wantStepUp(t, b.do("GET", "/v1/account/export", nil), "password")
	b.do("POST", "/v1/step-up", map[string]any{"password": emailPassword}).want(t, http.StatusOK)

	resp := b.do("GET", "/v1/account/export", nil).want(t, http.StatusOK)
	wantName := `attachment; filename="authd-export-` + clock.Now().UTC().Format(time.DateOnly) + `.json"`
	if got := resp.Header.Get("Content-Disposition"); got != wantName {
		t.Fatalf("Content-Disposition = %q, want %q", got, wantName)
	}
	doc := resp.json(t)
	user := doc["user"].(map[string]any)
	if user["email"] != "recent@example.com" || len(doc["sessions"].([]any)) != 1 {
		t.Fatalf("export = %v", doc)
	}
	kinds := map[string]bool{}
	for _, e := range doc["events"].([]any) {
		kinds[e.(map[string]any)["kind"].(string)] = true
	}
	if !kinds["account_created"] || !kinds["login"] || !kinds["step_up"] {
		t.Fatalf("export events %v lack the signup, login or step-up", kinds)
	}
	for _, secret := range []string{"password_hash", "token_hash", "$argon2id", "sealed_secret"} {
		if strings.Contains(string(resp.body), secret) {
			t.Fatalf("the export carries %s", secret)
		}
	}
	b.do("POST", "/v1/account/deletion", nil).want(t, http.StatusAccepted)
}

func TestSecurityActivity(t *testing.T) {
	t.Parallel()
	in := startAuthd(t, trustLoopback, "serve", "--no-worker")
	laptop := in.device("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "198.51.100.7")
	laptop.signupEmail(t, "audited@example.com")
	id := laptop.userID(t)
	events := func() int { return in.scalar(t, `SELECT count(*) FROM security_events`) }

	stranger := in.device("curl/8.5.0", "203.0.113.66")
	stranger.do("POST", "/v1/login", map[string]any{"email": "audited@example.com", "password": "wrong password!"}).
		want(t, http.StatusUnauthorized, "invalid_credentials")
	n := events()
	stranger.do("POST", "/v1/login", map[string]any{"email": "nobody@example.com", "password": "wrong password!"}).
		want(t, http.StatusUnauthorized, "invalid_credentials")
	if events() != n {
		t.Fatal("a failed login for an unknown address recorded an event")
	}
	phone := in.device("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148", "192.0.2.4")
	phone.do("POST", "/v1/login", map[string]any{"email": "audited@example.com", "password": emailPassword}).
		want(t, http.StatusOK)
	laptop.do("POST", "/v1/step-up", map[string]any{"password": emailPassword}).want(t, http.StatusOK)
	const newPassword = "a brand new passphrase"
	laptop.do("POST", "/v1/password/change", map[string]any{"new_password": newPassword}).want(t, http.StatusNoContent)
	laptop.do("POST", "/v1/logout", nil).want(t, http.StatusNoContent)
	laptop.do("POST", "/v1/login", map[string]any{"email": "audited@example.com", "password": newPassword}).
		want(t, http.StatusOK)

	list := laptop.do("GET", "/v1/account/activity", nil).want(t, http.StatusOK).json(t)["events"].([]any)
	var kinds []string
	for _, e := range list {
		kinds = append(kinds, e.(map[string]any)["kind"].(string))
	}
	want := []string{"login", "logout", "password_changed", "sessions_revoked", "step_up", "login", "login_failed",
		"login", "account_created"}
	if strings.Join(kinds, ",") != strings.Join(want, ",") {
		t.Fatalf("activity = %v, want %v (newest first)", kinds, want)
	}
	failed := list[6].(map[string]any)
	if failed["ip"] != "203.0.113.66" || failed["device_name"] == "" || failed["detail"].(map[string]any)["reason"] != "password" {
		t.Fatalf("login_failed = %v", failed)
	}
	if phoneLogin := list[5].(map[string]any); phoneLogin["ip"] != "192.0.2.4" {
		t.Fatalf("the phone's login = %v", phoneLogin)
	}
	if got := laptop.do("GET", "/v1/account/activity?limit=2", nil).want(t, http.StatusOK).json(t)["events"].([]any); len(got) != 2 {
		t.Fatalf("limit=2 gave %d events", len(got))
	}
	for _, bad := range []string{"0", "201", "ten"} {
		laptop.do("GET", "/v1/account/activity?limit="+bad, nil).want(t, http.StatusBadRequest, "invalid_request")
	}
	if n := in.scalar(t, `SELECT count(*) FROM security_events WHERE user_id <> $1`, id); n != 0 {
		t.Fatalf("%d events about someone else", n)
	}
}

func TestDeletionGraceSetting(t *testing.T) {
	t.Parallel()
	c, err := loadConfig(func(string) string { return "" })
	if err != nil || c.DeletionGrace != 30*24*time.Hour {
		t.Fatalf("default grace = %v (%v), want 30 days", c.DeletionGrace, err)
	}
	for _, bad := range []string{"0s", "-1h", "soon"} {
		_, err := loadConfig(func(k string) string {
			if k == "AUTHD_DELETION_GRACE" {
				return bad
			}
			return ""
		})
		var ce *configError
		if !errors.As(err, &ce) || ce.name != "AUTHD_DELETION_GRACE" {
			t.Fatalf("AUTHD_DELETION_GRACE=%s: error = %v", bad, err)
		}
	}
}
