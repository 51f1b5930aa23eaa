package riverqueue

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"authd/core/activity"
	"authd/core/mfa"
	"authd/core/session"
	"authd/core/throttle"
	"authd/core/verification"
)

// The maintenance jobs delete what has outlived its use. Each is a kind of
// its own, so the job metrics and logs tell them apart, and each is inserted
// by River's periodic scheduler, never by a request.
type (
	// CleanupVerificationsJob: used and long-expired email tokens, and email
	// requests too old to count for any limit.
	CleanupVerificationsJob struct{ chore }
	// CleanupThrottleJob: ended request windows and finished lockout runs.
	CleanupThrottleJob struct{ chore }
	// CleanupMFAJob: long-expired MFA login challenges.
	CleanupMFAJob struct{ chore }
	// PruneActivityJob: security events older than the retention.
	PruneActivityJob struct{ chore }
	// PruneSessionsJob: sessions that expired long ago.
	PruneSessionsJob struct{ chore }
)

// Kind implements river.JobArgs.
func (CleanupVerificationsJob) Kind() string { return "cleanup_verifications" }

// Kind implements river.JobArgs.
func (CleanupThrottleJob) Kind() string { return "cleanup_throttle" }

// Kind implements river.JobArgs.
func (CleanupMFAJob) Kind() string { return "cleanup_mfa_challenges" }

// Kind implements river.JobArgs.
func (PruneActivityJob) Kind() string { return "prune_activity" }

// Kind implements river.JobArgs.
func (PruneSessionsJob) Kind() string { return "prune_sessions" }

// cleanupInterval is how often the maintenance jobs run. What they delete
// already counts for nothing (tokens and sessions expire by their own
// columns); they only keep the tables small.
const cleanupInterval = time.Hour

// chore gives the maintenance jobs their insert options.
type chore struct{}

// InsertOpts routes the job to the maintenance queue: the periodic scheduler
// inserts it without going through Queue.Enqueue, which would pick the queue.
// Unique per period, so two processes that both believe they lead (briefly,
// at an election) insert it once.
func (chore) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMaintenance, UniqueOpts: river.UniqueOpts{ByPeriod: cleanupInterval}}
}

// MaintenancePeriodic is the hourly schedule of every maintenance job, each
// also run when a worker process takes the lead.
func MaintenancePeriodic() []*river.PeriodicJob {
	var out []*river.PeriodicJob
	for _, args := range []river.JobArgs{CleanupVerificationsJob{}, CleanupThrottleJob{}, CleanupMFAJob{},
		PruneActivityJob{}, PruneSessionsJob{}} {
		out = append(out, river.NewPeriodicJob(river.PeriodicInterval(cleanupInterval),
			func() (river.JobArgs, *river.InsertOpts) { return args, nil },
			&river.PeriodicJobOpts{ID: args.Kind(), RunOnStart: true}))
	}
	return out
}

// Maintenance is what the maintenance jobs delete through.
type Maintenance struct {
	Verification      *verification.Service
	Throttle          *throttle.Service
	MFA               *mfa.Service
	Activity          *activity.Service
	ActivityRetention time.Duration
	Sessions          *session.Service
}

// AddMaintenanceWorkers registers a worker for each maintenance job; it
// panics on a missing service or retention.
func AddMaintenanceWorkers(workers *river.Workers, m Maintenance, log *slog.Logger) {
	if m.Verification == nil || m.Throttle == nil || m.MFA == nil || m.Activity == nil || m.Sessions == nil ||
		m.ActivityRetention <= 0 || log == nil {
		panic("riverqueue: nil maintenance dependency or no retention")
	}
	river.AddWorker(workers, &choreWorker[CleanupVerificationsJob]{log: log, msg: "verification cleanup",
		do: func(ctx context.Context) ([]slog.Attr, error) {
			tokens, requests, err := m.Verification.Cleanup(ctx)
			return []slog.Attr{slog.Int("tokens_deleted", tokens), slog.Int("requests_deleted", requests)}, err
		}})
	river.AddWorker(workers, &choreWorker[CleanupThrottleJob]{log: log, msg: "throttle cleanup",
		do: func(ctx context.Context) ([]slog.Attr, error) {
			windows, runs, err := m.Throttle.Cleanup(ctx)
			return []slog.Attr{slog.Int("windows_deleted", windows), slog.Int("runs_deleted", runs)}, err
		}})
	river.AddWorker(workers, &choreWorker[CleanupMFAJob]{log: log, msg: "mfa challenge cleanup",
		do: func(ctx context.Context) ([]slog.Attr, error) {
			n, err := m.MFA.Cleanup(ctx)
			return []slog.Attr{slog.Int("challenges_deleted", n)}, err
		}})
	river.AddWorker(workers, &choreWorker[PruneActivityJob]{log: log, msg: "security activity pruned",
		do: func(ctx context.Context) ([]slog.Attr, error) {
			n, err := m.Activity.Prune(ctx, m.ActivityRetention)
			return []slog.Attr{slog.Int("events_deleted", n)}, err
		}})
	river.AddWorker(workers, &choreWorker[PruneSessionsJob]{log: log, msg: "expired sessions pruned",
		do: func(ctx context.Context) ([]slog.Attr, error) {
			n, err := m.Sessions.Prune(ctx)
			return []slog.Attr{slog.Int("sessions_deleted", n)}, err
		}})
}

// choreWorker works the maintenance job T: it runs do and logs what do
// deleted. Deleting twice is harmless, so a retry needs no care (the
// sessions carry on where a failed run stopped).
type choreWorker[T river.JobArgs] struct {
	river.WorkerDefaults[T]
	msg string
	do  func(context.Context) ([]slog.Attr, error)
	log *slog.Logger
}

func (w *choreWorker[T]) Work(ctx context.Context, job *river.Job[T]) error {
	attrs, err := w.do(ctx)
	if err != nil {
		return err
	}
	w.log.LogAttrs(ctx, slog.LevelInfo, w.msg, append(attrs, slog.Int64("job_id", job.ID))...)
	return nil
}
