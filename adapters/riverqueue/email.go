package riverqueue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"authd/core/auth"
	"authd/ports"
)

// Composer builds the email a job asks for, reading what it needs (the
// address, a freshly minted token) at send time, so the queue never holds a
// secret or an address. Each core service that sends email provides the
// composers of its kinds, wired in cmd.
type Composer func(ctx context.Context, job ports.SendEmailJob) (ports.Email, error)

// EmailWorker works send_email jobs: compose, then deliver.
type EmailWorker struct {
	river.WorkerDefaults[ports.SendEmailJob]
	composers map[ports.EmailKind]Composer
	mailer    ports.Mailer
	log       *slog.Logger
}

// NewEmailWorker returns an EmailWorker; it panics on missing dependencies.
func NewEmailWorker(composers map[ports.EmailKind]Composer, mailer ports.Mailer, log *slog.Logger) *EmailWorker {
	if mailer == nil || log == nil {
		panic("riverqueue: nil dependency")
	}
	return &EmailWorker{composers: composers, mailer: mailer, log: log}
}

// Timeout bounds one delivery attempt; a hung SMTP server must not hold a
// worker slot forever.
func (w *EmailWorker) Timeout(*river.Job[ports.SendEmailJob]) time.Duration { return time.Minute }

// Work composes and sends. A job whose subject no longer exists (the user was
// deleted meanwhile) is cancelled, not retried; a delivery failure is
// returned so River retries with backoff.
func (w *EmailWorker) Work(ctx context.Context, job *river.Job[ports.SendEmailJob]) error {
	compose, ok := w.composers[job.Args.Email]
	if !ok {
		return river.JobCancel(fmt.Errorf("no composer for email %q", job.Args.Email))
	}
	email, err := compose(ctx, job.Args)
	if errors.Is(err, auth.ErrNotFound) {
		w.log.InfoContext(ctx, "email dropped: its subject is gone", slog.String("email", string(job.Args.Email)),
			slog.Int64("job_id", job.ID))
		return river.JobCancel(err)
	}
	if err != nil {
		return fmt.Errorf("compose %s: %w", job.Args.Email, err)
	}
	if err := w.mailer.Send(ctx, email); err != nil {
		return fmt.Errorf("send %s: %w", job.Args.Email, err)
	}
	w.log.InfoContext(ctx, "email sent", slog.String("email", string(job.Args.Email)),
		slog.String("user_id", job.Args.UserID.String()), slog.Int64("job_id", job.ID), slog.Int("attempt", job.Attempt))
	return nil
}
