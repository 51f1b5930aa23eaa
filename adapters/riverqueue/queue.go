// Package riverqueue runs authd's background jobs on River, in the same
// PostgreSQL database as everything else, so a job is inserted in the very
// transaction of the change that causes it (the transactional outbox).
package riverqueue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"authd/adapters/postgres"
	"authd/ports"
)

// Queue names. Email is kept apart so a slow SMTP server never delays the
// maintenance work (hard deletes, cleanups).
const (
	QueueEmail       = "email"
	QueueMaintenance = "maintenance"
)

// queueOf routes each job kind to its queue.
var queueOf = map[string]string{
	ports.SendEmailJob{}.Kind(): QueueEmail,
}

// Config chooses what the client does.
type Config struct {
	Logger *slog.Logger
	// Work makes the client fetch and work jobs; false makes it insert-only
	// (authd serve --no-worker).
	Work bool
	// Workers are the job handlers, registered with Register.
	Workers *river.Workers
}

// Queue is the River client on the shared pool.
type Queue struct {
	client *river.Client[pgx.Tx]
	work   bool
}

// New builds a client on pool.
func New(pool *pgxpool.Pool, cfg Config) (*Queue, error) {
	rc := &river.Config{Logger: cfg.Logger, Workers: cfg.Workers}
	if cfg.Work {
		rc.Queues = map[string]river.QueueConfig{
			QueueEmail:       {MaxWorkers: 20},
			QueueMaintenance: {MaxWorkers: 5},
		}
	}
	client, err := river.NewClient(riverpgxv5.New(pool), rc)
	if err != nil {
		return nil, fmt.Errorf("riverqueue: %w", err)
	}
	return &Queue{client: client, work: cfg.Work}, nil
}

// Start begins working jobs; a no-op for an insert-only client.
func (q *Queue) Start(ctx context.Context) error {
	if !q.work {
		return nil
	}
	return q.client.Start(ctx)
}

// Stop lets running jobs finish, until ctx ends.
func (q *Queue) Stop(ctx context.Context) error {
	if !q.work {
		return nil
	}
	return q.client.Stop(ctx)
}

// ErrNoTx is returned when Enqueue is called outside a transaction: a job
// inserted on its own could exist without the change that caused it.
var ErrNoTx = errors.New("riverqueue: enqueue outside a transaction")

// Enqueue implements ports.Enqueuer with InsertTx on the transaction of ctx.
func (q *Queue) Enqueue(ctx context.Context, job ports.Job, opts ports.JobOpts) (int64, error) {
	tx, ok := postgres.TxFromContext(ctx)
	if !ok {
		return 0, ErrNoTx
	}
	queue, ok := queueOf[job.Kind()]
	if !ok {
		queue = QueueMaintenance
	}
	res, err := q.client.InsertTx(ctx, tx, job, &river.InsertOpts{Queue: queue, ScheduledAt: opts.ScheduledAt})
	if err != nil {
		return 0, fmt.Errorf("riverqueue: insert %s: %w", job.Kind(), err)
	}
	return res.Job.ID, nil
}
