package riverqueue

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"authd/core/activity"
)

// PruneActivityJob asks for security events older than the retention to be
// deleted. It is inserted by the periodic scheduler, never by a request.
type PruneActivityJob struct{}

// Kind implements river.JobArgs.
func (PruneActivityJob) Kind() string { return "prune_activity" }

// InsertOpts routes the job to the maintenance queue, once per period (see
// CleanupVerificationsJob.InsertOpts).
func (PruneActivityJob) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMaintenance, UniqueOpts: river.UniqueOpts{ByPeriod: cleanupInterval}}
}

// PruneActivityPeriodic is the hourly schedule of the pruning, also run when
// a worker process takes the lead.
func PruneActivityPeriodic() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(cleanupInterval),
		func() (river.JobArgs, *river.InsertOpts) { return PruneActivityJob{}, nil },
		&river.PeriodicJobOpts{ID: "prune_activity", RunOnStart: true})
}

// PruneActivityWorker works PruneActivityJob.
type PruneActivityWorker struct {
	river.WorkerDefaults[PruneActivityJob]
	svc       *activity.Service
	retention time.Duration
	log       *slog.Logger
}

// NewPruneActivityWorker returns the worker, keeping events for retention;
// it panics on missing dependencies.
func NewPruneActivityWorker(svc *activity.Service, retention time.Duration, log *slog.Logger) *PruneActivityWorker {
	if svc == nil || log == nil || retention <= 0 {
		panic("riverqueue: nil dependency or no retention")
	}
	return &PruneActivityWorker{svc: svc, retention: retention, log: log}
}

// Work deletes; deleting twice is harmless, so a retry needs no care.
func (w *PruneActivityWorker) Work(ctx context.Context, job *river.Job[PruneActivityJob]) error {
	n, err := w.svc.Prune(ctx, w.retention)
	if err != nil {
		return err
	}
	w.log.InfoContext(ctx, "security activity pruned", slog.Int("events_deleted", n), slog.Int64("job_id", job.ID))
	return nil
}
