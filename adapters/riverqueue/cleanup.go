package riverqueue

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"authd/core/verification"
)

// CleanupVerificationsJob asks for used and long-expired email tokens to be
// deleted. It is inserted by the periodic scheduler, never by a request.
type CleanupVerificationsJob struct{}

// Kind implements river.JobArgs.
func (CleanupVerificationsJob) Kind() string { return "cleanup_verifications" }

// InsertOpts routes the job to the maintenance queue: the periodic scheduler
// inserts it without going through Queue.Enqueue, which would pick the queue.
// Unique per period, so two processes that both believe they lead (briefly,
// at an election) insert it once.
func (CleanupVerificationsJob) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMaintenance, UniqueOpts: river.UniqueOpts{ByPeriod: cleanupInterval}}
}

// cleanupInterval is how often expired tokens are deleted. Tokens expire by
// their own expires_at; this only keeps the table small.
const cleanupInterval = time.Hour

// CleanupVerificationsPeriodic is the hourly schedule of the cleanup, also
// run when a worker process takes the lead.
func CleanupVerificationsPeriodic() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(cleanupInterval),
		func() (river.JobArgs, *river.InsertOpts) { return CleanupVerificationsJob{}, nil },
		&river.PeriodicJobOpts{ID: "cleanup_verifications", RunOnStart: true})
}

// CleanupVerificationsWorker works CleanupVerificationsJob.
type CleanupVerificationsWorker struct {
	river.WorkerDefaults[CleanupVerificationsJob]
	svc *verification.Service
	log *slog.Logger
}

// NewCleanupVerificationsWorker returns the worker; it panics on missing
// dependencies.
func NewCleanupVerificationsWorker(svc *verification.Service, log *slog.Logger) *CleanupVerificationsWorker {
	if svc == nil || log == nil {
		panic("riverqueue: nil dependency")
	}
	return &CleanupVerificationsWorker{svc: svc, log: log}
}

// Work deletes; deleting twice is harmless, so a retry needs no care.
func (w *CleanupVerificationsWorker) Work(ctx context.Context, job *river.Job[CleanupVerificationsJob]) error {
	tokens, requests, err := w.svc.Cleanup(ctx)
	if err != nil {
		return err
	}
	w.log.InfoContext(ctx, "verification cleanup", slog.Int("tokens_deleted", tokens),
		slog.Int("requests_deleted", requests), slog.Int64("job_id", job.ID))
	return nil
}
