package riverqueue

import (
	"context"
	"log/slog"

	"github.com/riverqueue/river"

	"authd/core/throttle"
)

// CleanupThrottleJob asks for ended request windows and finished lockout
// runs to be deleted. It is inserted by the periodic scheduler, never by a
// request.
type CleanupThrottleJob struct{}

// Kind implements river.JobArgs.
func (CleanupThrottleJob) Kind() string { return "cleanup_throttle" }

// InsertOpts routes the job to the maintenance queue, unique per period (see
// CleanupVerificationsJob).
func (CleanupThrottleJob) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMaintenance, UniqueOpts: river.UniqueOpts{ByPeriod: cleanupInterval}}
}

// CleanupThrottlePeriodic is the hourly schedule of the cleanup, also run
// when a worker process takes the lead. Expired rows count for nothing
// already; this keeps the tables small.
func CleanupThrottlePeriodic() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(cleanupInterval),
		func() (river.JobArgs, *river.InsertOpts) { return CleanupThrottleJob{}, nil },
		&river.PeriodicJobOpts{ID: "cleanup_throttle", RunOnStart: true})
}

// CleanupThrottleWorker works CleanupThrottleJob.
type CleanupThrottleWorker struct {
	river.WorkerDefaults[CleanupThrottleJob]
	svc *throttle.Service
	log *slog.Logger
}

// NewCleanupThrottleWorker returns the worker; it panics on missing
// dependencies.
func NewCleanupThrottleWorker(svc *throttle.Service, log *slog.Logger) *CleanupThrottleWorker {
	if svc == nil || log == nil {
		panic("riverqueue: nil dependency")
	}
	return &CleanupThrottleWorker{svc: svc, log: log}
}

// Work deletes; deleting twice is harmless, so a retry needs no care.
func (w *CleanupThrottleWorker) Work(ctx context.Context, job *river.Job[CleanupThrottleJob]) error {
	windows, runs, err := w.svc.Cleanup(ctx)
	if err != nil {
		return err
	}
	w.log.InfoContext(ctx, "throttle cleanup", slog.Int("windows_deleted", windows),
		slog.Int("runs_deleted", runs), slog.Int64("job_id", job.ID))
	return nil
}
