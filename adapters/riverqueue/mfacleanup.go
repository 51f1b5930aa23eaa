package riverqueue

import (
	"context"
	"log/slog"

	"github.com/riverqueue/river"

	"authd/core/mfa"
)

// CleanupMFAJob asks for long-expired login challenges to be deleted. It is
// inserted by the periodic scheduler, never by a request.
type CleanupMFAJob struct{}

// Kind implements river.JobArgs.
func (CleanupMFAJob) Kind() string { return "cleanup_mfa_challenges" }

// InsertOpts routes the job to the maintenance queue, once per period (see
// CleanupVerificationsJob.InsertOpts).
func (CleanupMFAJob) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMaintenance, UniqueOpts: river.UniqueOpts{ByPeriod: cleanupInterval}}
}

// CleanupMFAPeriodic is the hourly schedule of the cleanup, also run when a
// worker process takes the lead.
func CleanupMFAPeriodic() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(cleanupInterval),
		func() (river.JobArgs, *river.InsertOpts) { return CleanupMFAJob{}, nil },
		&river.PeriodicJobOpts{ID: "cleanup_mfa_challenges", RunOnStart: true})
}

// CleanupMFAWorker works CleanupMFAJob.
type CleanupMFAWorker struct {
	river.WorkerDefaults[CleanupMFAJob]
	svc *mfa.Service
	log *slog.Logger
}

// NewCleanupMFAWorker returns the worker; it panics on missing dependencies.
func NewCleanupMFAWorker(svc *mfa.Service, log *slog.Logger) *CleanupMFAWorker {
	if svc == nil || log == nil {
		panic("riverqueue: nil dependency")
	}
	return &CleanupMFAWorker{svc: svc, log: log}
}

// Work deletes; deleting twice is harmless, so a retry needs no care.
func (w *CleanupMFAWorker) Work(ctx context.Context, job *river.Job[CleanupMFAJob]) error {
	n, err := w.svc.Cleanup(ctx)
	if err != nil {
		return err
	}
	w.log.InfoContext(ctx, "mfa challenge cleanup", slog.Int("challenges_deleted", n), slog.Int64("job_id", job.ID))
	return nil
}
