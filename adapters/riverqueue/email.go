package riverqueue

import (
	"context"
	"log/slog"

	"github.com/riverqueue/river"

	"authd/ports"
)

// EmailWorker works send_email jobs.
type EmailWorker struct {
	river.WorkerDefaults[ports.SendEmailJob]
	log *slog.Logger
}

// NewEmailWorker returns an EmailWorker.
func NewEmailWorker(log *slog.Logger) *EmailWorker { return &EmailWorker{log: log} }

// Work logs the job: the proof, until email delivery lands, that a job
// enqueued in a signup's transaction reaches the worker.
func (w *EmailWorker) Work(ctx context.Context, job *river.Job[ports.SendEmailJob]) error {
	w.log.InfoContext(ctx, "send_email job worked", "email", job.Args.Email, "user_id", job.Args.UserID, "job_id", job.ID)
	return nil
}
