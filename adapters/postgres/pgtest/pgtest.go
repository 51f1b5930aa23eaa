// Package pgtest gives each test its own freshly migrated PostgreSQL database,
// so tests and packages run in parallel and never see each other's rows.
//
// The migrated schema is built once into a template database named after a
// hash of the migrations, then every test's database is a cheap copy of it.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"authd/adapters/postgres"
	"authd/migrations"
)

// AdminURLEnv names the variable that overrides the server tests use.
const AdminURLEnv = "AUTHD_TEST_DATABASE_URL"

const defaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// AdminURL is the maintenance database URL tests create databases through.
func AdminURL() string {
	if u := os.Getenv(AdminURLEnv); u != "" {
		return u
	}
	return defaultAdminURL
}

// DB is one test's database.
type DB struct {
	URL  string
	Pool *pgxpool.Pool
}

var templateOnce struct {
	sync.Mutex
	name string
}

// New creates a migrated database for t and drops it when t ends. It fails
// the test, saying how to start PostgreSQL, when the server is down: a test
// that needs the database never skips silently.
func New(t testing.TB) DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin := connectAdmin(t, ctx)
	defer admin.Close(context.Background())

	tmpl := ensureTemplate(t, ctx, admin)
	name := "authd_test_" + randomHex(t, 8)
	if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s",
		pgx.Identifier{name}.Sanitize(), pgx.Identifier{tmpl}.Sanitize())); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	url := withDatabase(t, name)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	t.Cleanup(func() {
		pool.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, AdminURL())
		if err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
		}
	})
	return DB{URL: url, Pool: pool}
}

func connectAdmin(t testing.TB, ctx context.Context) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		t.Fatalf("pgtest: PostgreSQL is not reachable at %s: %v\n"+
			"Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"+
			"or point %s at a server where user may CREATE DATABASE.", AdminURL(), err, AdminURLEnv)
	}
	return conn
}

// ensureTemplate returns the template database for the current migrations,
// building it under an advisory lock so concurrent test binaries build it once.
func ensureTemplate(t testing.TB, ctx context.Context, admin *pgx.Conn) string {
	t.Helper()
	templateOnce.Lock()
	defer templateOnce.Unlock()
	if templateOnce.name != "" {
		return templateOnce.name
	}
	name := "authd_tmpl_" + migrationsHash(t)
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock(7210431)"); err != nil {
		t.Fatalf("pgtest: lock: %v", err)
	}
	defer admin.Exec(context.Background(), "SELECT pg_advisory_unlock(7210431)") //nolint:errcheck
	var ready bool
	err := admin.QueryRow(ctx, "SELECT datistemplate FROM pg_database WHERE datname = $1", name).Scan(&ready)
	if err == nil && ready {
		dropStaleTemplates(ctx, admin, name)
		templateOnce.name = name
		return name
	}
	// A half-built template from an interrupted run is rebuilt.
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Fatalf("pgtest: drop stale template: %v", err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create template: %v", err)
	}
	pool, err := pgxpool.New(ctx, withDatabase(t, name))
	if err != nil {
		t.Fatalf("pgtest: connect template: %v", err)
	}
	m, err := postgres.NewMigrator(pool)
	if err == nil {
		_, err = m.Up(ctx)
		m.Close()
	}
	pool.Close()
	if err != nil {
		t.Fatalf("pgtest: migrate template: %v", err)
	}
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" IS_TEMPLATE true"); err != nil {
		t.Fatalf("pgtest: mark template: %v", err)
	}
	dropStaleTemplates(ctx, admin, name)
	templateOnce.name = name
	return name
}

// dropStaleTemplates removes the templates of earlier migration sets, so a
// developer's server does not collect one per schema change. Best effort: a
// template another run is copying right now stays until the next time.
func dropStaleTemplates(ctx context.Context, admin *pgx.Conn, current string) {
	rows, err := admin.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'authd\_tmpl\_%' AND datname <> $1`, current)
	if err != nil {
		return
	}
	stale, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, name := range stale {
		ident := pgx.Identifier{name}.Sanitize()
		if _, err := admin.Exec(ctx, "ALTER DATABASE "+ident+" IS_TEMPLATE false"); err == nil {
			_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident)
		}
	}
}

func migrationsHash(t testing.TB) string {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	if err != nil {
		t.Fatalf("pgtest: hash migrations: %v", err)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func withDatabase(t testing.TB, name string) string {
	u, err := url.Parse(AdminURL())
	if err != nil {
		t.Fatalf("pgtest: %s: %v", AdminURLEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
