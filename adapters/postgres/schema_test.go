package postgres_test

import (
	"context"
	"testing"

	"authd/adapters/postgres/pgtest"
)

// TestEveryForeignKeyIsIndexed guards the hard delete's speed: a cascade
// through a foreign key without an index on its column scans the table once
// per deleted row. A table added later is covered without editing the test.
func TestEveryForeignKeyIsIndexed(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	rows, err := db.Pool.Query(context.Background(), `
		SELECT c.conrelid::regclass::text, a.attname
		FROM pg_constraint c
		JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		WHERE c.contype = 'f' AND NOT EXISTS (
			SELECT 1 FROM pg_index i
			WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1] AND i.indpred IS NULL)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			t.Fatal(err)
		}
		t.Errorf("%s.%s references another table but no index leads with it", table, column)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
