package main

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/adapters/argon2id"
	"authd/adapters/postgres"
	"authd/adapters/postgres/pgtest"
	"authd/adapters/riverqueue"
	"authd/core/accounts"
	"authd/core/auth"
	"authd/ports"
)

func TestEmailSurvivesAnSMTPOutage(t *testing.T) {
	t.Parallel()
	in, srv := startWithSMTP(t, nil)
	srv.SetRefusing(true)
	b := in.browser("Mozilla/5.0")
	userID := b.signupEmail(t, "patient@example.com")["id"].(string)

	job := `SELECT %s FROM river_job WHERE kind = 'send_email' AND args->>'user_id' = $1 AND args->>'email' = 'verify_email'`
	eventually(t, "two failed delivery attempts", func() bool {
		return in.scalar(t, strings.Replace(job, "%s", "coalesce(max(cardinality(errors)), 0)", 1), userID) >= 2
	})
	if srv.Count() != 0 {
		t.Fatal("a refusing server received a message")
	}
	srv.SetRefusing(false)
	m := waitEmail(t, srv, "patient@example.com", subjectVerify)
	eventually(t, "the job completing", func() bool {
		return in.scalar(t, strings.Replace(job, "%s", "count(*) FILTER (WHERE state = 'completed')", 1), userID) == 1
	})
	if n := in.scalar(t, strings.Replace(job, "%s", "count(*)", 1), userID); n != 1 {
		t.Fatalf("%d verification jobs, want 1", n)
	}
	// The job is done, so nothing more can arrive: exactly one email, and its
	// link (minted by the attempt that delivered it) works.
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("%d messages after the outage, want exactly 1", n)
	}
	b.do("POST", "/v1/email/verify", map[string]any{"token": linkToken(t, m, "/verify-email")}).want(t, http.StatusOK)
}

// failingStart fails the last step of a signup, after its email job was
// inserted, to prove the insert rolls back with the rest.
type failingStart struct{}

var errStartFailed = errors.New("session store down")

func (failingStart) Start(context.Context, uuid.UUID, auth.Client, ...string) (auth.IssuedSession, error) {
	return auth.IssuedSession{}, errStartFailed
}

func TestFailedSignupEnqueuesNoEmail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("RolledBackTransactionLeavesNoRiverJob", func(t *testing.T) {
		t.Parallel()
		pg := pgtest.New(t)
		db := postgres.New(pg.Pool)
		queue, err := riverqueue.New(pg.Pool, riverqueue.Config{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		acc := accounts.New(accounts.Deps{Users: postgres.NewUserStore(db), Tx: db, Jobs: queue, Sessions: failingStart{},
			Clock: systemClock{}, Random: rand.Reader, Hasher: argon2id.New(argon2id.Params{MemoryKiB: 64, Time: 1, Threads: 1}, 1)})
		if _, _, err := acc.Signup(ctx, "doomed@example.com", emailPassword, auth.Client{}); !errors.Is(err, errStartFailed) {
			t.Fatalf("signup error = %v", err)
		}
		in := &instance{db: pg}
		if n := in.scalar(t, `SELECT (SELECT count(*) FROM river_job) + (SELECT count(*) FROM users)`); n != 0 {
			t.Fatalf("a failed signup left %d rows in river_job and users", n)
		}
		// The same path commits both when nothing fails.
		err = db.WithinTx(ctx, func(ctx context.Context) error {
			_, err := queue.Enqueue(ctx, ports.SendEmailJob{UserID: uuid.New(), Email: ports.EmailVerify}, ports.JobOpts{})
			return err
		})
		if err != nil || in.scalar(t, `SELECT count(*) FROM river_job`) != 1 {
			t.Fatalf("a committed enqueue left no job: %v", err)
		}
	})
	t.Run("TakenEmailLeavesNoRiverJob", func(t *testing.T) {
		t.Parallel()
		in := startAuthd(t, nil, "serve", "--no-worker")
		in.browser("a").signupEmail(t, "once@example.com")
		in.browser("b").do("POST", "/v1/signup", map[string]any{"email": "ONCE@example.com", "password": emailPassword}).
			want(t, http.StatusConflict, "email_taken")
		if n := in.scalar(t, `SELECT count(*) FROM river_job WHERE kind = 'send_email'`); n != 1 {
			t.Fatalf("%d email jobs, want only the first signup's", n)
		}
	})
}

func TestExpiredTokensAreCleanedUpPeriodically(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := pgtest.New(t)
	now := time.Now().UTC()
	uid := uuid.New()
	_, err := pg.Pool.Exec(ctx, `
		INSERT INTO users (id, email, created_at, updated_at) VALUES ($1, 'clean@example.com', $2, $2);
		`, uid, now)
	if err != nil {
		t.Fatal(err)
	}
	rows := []struct {
		hash    string
		expires time.Time
		used    *time.Time
	}{
		{"long-expired", now.Add(-48 * time.Hour), nil},
		{"used", now.Add(time.Hour), &now},
		{"live", now.Add(time.Hour), nil},
	}
	for i, r := range rows {
		purpose := []string{"verify_email", "password_reset", "email_change"}[i]
		if _, err := pg.Pool.Exec(ctx, `INSERT INTO email_verifications (id, user_id, token_hash, email, purpose,
			expires_at, used_at, created_at) VALUES ($1, $2, $3, 'clean@example.com', $4, $5, $6, $7)`,
			uuid.New(), uid, []byte(r.hash), purpose, r.expires, r.used, now.Add(-72*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	in := startAuthdOn(t, pg, nil)
	eventually(t, "a completed cleanup job", func() bool {
		return in.scalar(t, `SELECT count(*) FROM river_job WHERE kind = 'cleanup_verifications' AND state = 'completed'`) > 0
	})
	if n := in.scalar(t, `SELECT count(*) FROM email_verifications WHERE token_hash <> 'live'::bytea`); n != 0 {
		t.Fatalf("%d stale tokens survived the cleanup", n)
	}
	if n := in.scalar(t, `SELECT count(*) FROM email_verifications`); n != 1 {
		t.Fatal("the cleanup deleted a live token")
	}
}
