// Package postgres implements authd's stores and transaction runner on
// PostgreSQL through pgx/v5.
//
// The transaction travels in the context: WithinTx puts a pgx.Tx there, a
// nested WithinTx joins it, and every query goes through conn(ctx), so store
// methods never begin or commit.
package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is the connection pool every store shares.
type DB struct {
	pool *pgxpool.Pool
	// userChanged are told, after commit, of every user this process changed,
	// so an in-memory copy (the session cache) is exact for its own writes
	// without waiting for the database's notification.
	userChanged []func(uuid.UUID)
}

// OnUserChange registers fn to run after each committed change to a user
// made through this DB. Call it during wiring, before serving.
func (db *DB) OnUserChange(fn func(uuid.UUID)) { db.userChanged = append(db.userChanged, fn) }

// changedUser schedules the OnUserChange callbacks for id.
func (db *DB) changedUser(ctx context.Context, id uuid.UUID) {
	for _, fn := range db.userChanged {
		AfterCommit(ctx, func() { fn(id) })
	}
}

// New wraps an open pool.
func New(pool *pgxpool.Pool) *DB {
	if pool == nil {
		panic("postgres: nil pool")
	}
	return &DB{pool: pool}
}

// Pool is the underlying pool, for River and health checks.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

type txKey struct{}

// txState is what WithinTx puts in the context: the transaction, and what to
// run once it has committed.
type txState struct {
	tx    pgx.Tx
	after []func()
}

// TxFromContext returns the transaction WithinTx put in ctx.
func TxFromContext(ctx context.Context) (pgx.Tx, bool) {
	st, ok := ctx.Value(txKey{}).(*txState)
	if !ok {
		return nil, false
	}
	return st.tx, true
}

// AfterCommit runs fn once the transaction of ctx has committed, or at once
// when ctx carries none. Caches use it so that what they forget cannot be
// read back from a transaction that has not committed yet.
func AfterCommit(ctx context.Context, fn func()) {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		st.after = append(st.after, fn)
		return
	}
	fn()
}

// WithinTx runs fn in a transaction, or in the caller's when ctx has one.
func (db *DB) WithinTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := TxFromContext(ctx); ok {
		return fn(ctx)
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	// Rollback after Commit is a no-op, so this also covers panics in fn.
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	st := &txState{tx: tx}
	if err := fn(context.WithValue(ctx, txKey{}, st)); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	for _, f := range st.after {
		f()
	}
	return nil
}

// querier is what pgx.Tx and *pgxpool.Pool have in common.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (db *DB) conn(ctx context.Context) querier {
	if tx, ok := TxFromContext(ctx); ok {
		return tx
	}
	return db.pool
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.pool.Ping(ctx) }

// uniqueViolation reports the constraint a unique violation names, if err is one.
func uniqueViolation(err error) (constraint string, ok bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return pgErr.ConstraintName, true
	}
	return "", false
}
