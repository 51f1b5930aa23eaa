// Package memory holds in-memory fakes of every store port, the transaction
// runner and the job enqueuer, for core tests without a database. They pass
// the same ports/portstest suite as the PostgreSQL stores, so they cannot
// drift from them.
//
// Transactions are serialised; a failed one restores a snapshot of every
// table and drops the jobs it enqueued, so core tests can prove atomicity.
package memory

import (
	"context"
	"errors"
	"maps"
	"sync"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// DB is one in-memory database.
type DB struct {
	txMu sync.Mutex // one transaction at a time
	mu   sync.Mutex // guards everything below
	t    tables
	jobs []Job
	next int64
}

// tables is every stored row; clone must copy each map.
type tables struct {
	users    map[uuid.UUID]auth.User
	sessions map[uuid.UUID]auth.Session
	mfa      mfaTables
	verif    verificationTables
	sso      ssoTables
	deletion deletionTables
	events   map[uuid.UUID]ports.SecurityEvent
	throttle throttleTables
}

func (t tables) clone() tables {
	return tables{
		users:    maps.Clone(t.users),
		sessions: maps.Clone(t.sessions),
		mfa:      t.mfa.clone(),
		verif:    t.verif.clone(),
		sso:      t.sso.clone(),
		deletion: t.deletion.clone(),
		events:   maps.Clone(t.events),
		throttle: t.throttle.clone(),
	}
}

// Job is a committed job.
type Job struct {
	ID   int64
	Args ports.Job
	Opts ports.JobOpts
	// Cancelled is set by CancelJob.
	Cancelled bool
}

// New returns an empty database.
func New() *DB {
	return &DB{t: tables{
		users:    map[uuid.UUID]auth.User{},
		sessions: map[uuid.UUID]auth.Session{},
		mfa:      newMFATables(),
		verif:    newVerificationTables(),
		sso:      newSSOTables(),
		deletion: newDeletionTables(),
		events:   map[uuid.UUID]ports.SecurityEvent{},
		throttle: newThrottleTables(),
	}}
}

type txKey struct{}

type tx struct {
	jobs []Job
	// onCommit changes committed jobs (cancels, deletes) once the
	// transaction commits; they run after its jobs are added.
	onCommit []func()
}

// WithinTx runs fn in a transaction, or in the caller's when ctx has one.
func (db *DB) WithinTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*tx); ok {
		return fn(ctx)
	}
	db.txMu.Lock()
	defer db.txMu.Unlock()
	db.mu.Lock()
	snapshot := db.t.clone()
	db.mu.Unlock()

	t := &tx{}
	err := fn(context.WithValue(ctx, txKey{}, t))
	db.mu.Lock()
	defer db.mu.Unlock()
	if err != nil {
		db.t = snapshot
		return err
	}
	db.jobs = append(db.jobs, t.jobs...)
	for _, f := range t.onCommit {
		f()
	}
	return nil
}

// ErrNoTx is returned by Enqueue outside a transaction.
var ErrNoTx = errors.New("memory: enqueue outside a transaction")

// Enqueue records job in the transaction of ctx; it is kept only if that
// transaction commits.
func (db *DB) Enqueue(ctx context.Context, job ports.Job, opts ports.JobOpts) (int64, error) {
	t, ok := ctx.Value(txKey{}).(*tx)
	if !ok {
		return 0, ErrNoTx
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	db.next++
	t.jobs = append(t.jobs, Job{ID: db.next, Args: job, Opts: opts})
	return db.next, nil
}

// Jobs returns the committed jobs, oldest first.
func (db *DB) Jobs() []Job {
	db.mu.Lock()
	defer db.mu.Unlock()
	return append([]Job(nil), db.jobs...)
}

func (db *DB) lock() func() {
	db.mu.Lock()
	return db.mu.Unlock
}
