// Package riverqueue runs authd's background jobs on River, in the same
// PostgreSQL database as everything else, so a job is inserted in the very
// transaction of the change that causes it (the transactional outbox).
package riverqueue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

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
	ports.SendEmailJob{}.Kind():           QueueEmail,
	ports.AccountDeletedEmailJob{}.Kind(): QueueEmail,
}

// Config chooses what the client does.
type Config struct {
	Logger *slog.Logger
	// Work makes the client fetch and work jobs; false makes it insert-only
	// (authd serve --no-worker).
	Work bool
	// Workers are the job handlers, registered with Register.
	Workers *river.Workers
	// PeriodicJobs are scheduled by whichever working client leads.
	PeriodicJobs []*river.PeriodicJob
	// RetryBase scales River's retry backoff, which waits attempt^4 seconds
	// after the attempt-th failure: the wait becomes attempt^4 × RetryBase.
	// Zero keeps River's own policy (the same as one second).
	RetryBase time.Duration
	// Metrics, when set and the client works jobs, gets authd_jobs_total
	// and authd_job_duration_seconds (see metrics.go).
	Metrics prometheus.Registerer
}

// Queue is the River client on the shared pool.
type Queue struct {
	client  *river.Client[pgx.Tx]
	work    bool
	metrics *jobMetrics // nil when not counting
}

// New builds a client on pool.
func New(pool *pgxpool.Pool, cfg Config) (*Queue, error) {
	rc := &river.Config{Logger: cfg.Logger, Workers: cfg.Workers}
	if cfg.Work {
		rc.Queues = map[string]river.QueueConfig{
			// Email jobs mostly wait on the SMTP server, so many run at
			// once; maintenance jobs are database-bound.
			QueueEmail: {MaxWorkers: 100},
			// A hard delete takes a few milliseconds, so River's default
			// 100 ms between fetches, not the workers, would bound the rate
			// (MaxWorkers per cooldown: 200/s); fetch every 5 ms instead.
			// Fetches run only while jobs flow; idle polling is unchanged.
			QueueMaintenance: {MaxWorkers: 40, FetchCooldown: 5 * time.Millisecond},
		}
		rc.PeriodicJobs = cfg.PeriodicJobs
	}
	if cfg.RetryBase > 0 {
		rc.RetryPolicy = scaledRetry{base: cfg.RetryBase}
	}
	client, err := river.NewClient(riverpgxv5.New(pool), rc)
	if err != nil {
		return nil, fmt.Errorf("riverqueue: %w", err)
	}
	q := &Queue{client: client, work: cfg.Work}
	if cfg.Work && cfg.Metrics != nil {
		q.metrics = newJobMetrics(cfg.Metrics)
	}
	return q, nil
}

// scaledRetry is River's attempt^4 backoff with another unit than the second.
type scaledRetry struct{ base time.Duration }

// NextRetry implements river.ClientRetryPolicy. It counts errors rather than
// attempts, as River's policy does, so snoozes do not speed the backoff up.
func (p scaledRetry) NextRetry(job *rivertype.JobRow) time.Time {
	n := float64(len(job.Errors) + 1)
	wait := time.Duration(math.Min(n*n*n*n*float64(p.base), float64(24*time.Hour)))
	return time.Now().Add(wait)
}

// Start begins working jobs; a no-op for an insert-only client.
func (q *Queue) Start(ctx context.Context) error {
	if !q.work {
		return nil
	}
	q.watch()
	if err := q.client.Start(ctx); err != nil {
		q.unwatch()
		return err
	}
	return nil
}

// Stop lets running jobs finish, until ctx ends.
func (q *Queue) Stop(ctx context.Context) error {
	if !q.work {
		return nil
	}
	defer q.unwatch()
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
