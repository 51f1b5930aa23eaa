package postgres_test

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"authd/adapters/postgres"
	"authd/adapters/postgres/pgtest"
	"authd/migrations"
)

// TestMigrateAppliesAMissingLowerMigration: capabilities number migrations in
// their own ranges, so a database migrated past 00064 can meet a new 00063.
// Up applies it rather than refusing to start.
func TestMigrateAppliesAMissingLowerMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	// An empty schema, migrated by goose with every file but one below the
	// latest that nothing after it needs.
	pool, err := pgxpool.New(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `DROP SCHEMA public CASCADE; CREATE SCHEMA public`); err != nil {
		t.Fatal(err)
	}
	const held = "00063_security_events_created_at.sql"
	partial := fstest.MapFS{}
	entries, err := fs.ReadDir(migrations.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".sql") || e.Name() == held {
			continue
		}
		b, _ := fs.ReadFile(migrations.FS, e.Name())
		partial[e.Name()] = &fstest.MapFile{Data: b}
	}
	p, err := goose.NewProvider(goose.DialectPostgres, stdlib.OpenDBFromPool(pool), partial)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("migrating without %s: %v", held, err)
	}
	p.Close()

	m, err := postgres.NewMigrator(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	n, err := m.Up(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Up = %d, %v; want the one missing migration applied", n, err)
	}
	if pending, err := m.Pending(ctx); err != nil || pending {
		t.Fatalf("Pending = %v, %v after Up", pending, err)
	}
}
