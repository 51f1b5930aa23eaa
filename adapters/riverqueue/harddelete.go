package riverqueue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"authd/adapters/postgres"
	"authd/core/auth"
	"authd/core/deletion"
	"authd/ports"
)

var _ ports.JobCanceller = (*Queue)(nil)

// CancelJob implements ports.JobCanceller with JobCancelTx on the
// transaction of ctx, so the cancellation commits with the change that
// causes it. A job that is gone (pruned) is not an error; a finished one
// River leaves as it is.
func (q *Queue) CancelJob(ctx context.Context, jobID int64) error {
	tx, ok := postgres.TxFromContext(ctx)
	if !ok {
		return ErrNoTx
	}
	if _, err := q.client.JobCancelTx(ctx, tx, jobID); err != nil && !errors.Is(err, rivertype.ErrNotFound) {
		return fmt.Errorf("riverqueue: cancel job %d: %w", jobID, err)
	}
	return nil
}

// HardDeleteWorker works hard_delete_account jobs: it executes the deletion
// request the job names. A failure rolls the whole delete back and is
// returned, so River retries it; a run that finds nothing to do (cancelled,
// already deleted, superseded) completes.
type HardDeleteWorker struct {
	river.WorkerDefaults[ports.HardDeleteJob]
	svc *deletion.Service
	log *slog.Logger
}

// NewHardDeleteWorker returns the worker; it panics on missing dependencies.
func NewHardDeleteWorker(svc *deletion.Service, log *slog.Logger) *HardDeleteWorker {
	if svc == nil || log == nil {
		panic("riverqueue: nil dependency")
	}
	return &HardDeleteWorker{svc: svc, log: log}
}

// Timeout bounds one run: the delete is one transaction, which a hung run
// must not hold open.
func (w *HardDeleteWorker) Timeout(*river.Job[ports.HardDeleteJob]) time.Duration {
	return 5 * time.Minute
}

// Work executes the request. A job that ran before its request is due (the
// queue's clock ahead of the service's) is snoozed until then.
func (w *HardDeleteWorker) Work(ctx context.Context, job *river.Job[ports.HardDeleteJob]) error {
	out, err := w.svc.Execute(ctx, job.Args.RequestID, job.ID)
	if err != nil {
		return err
	}
	switch {
	case out.Deleted:
		w.log.InfoContext(ctx, "account deleted", slog.String("user_id", out.UserID.String()),
			slog.Int64("job_id", job.ID), slog.Int("attempt", job.Attempt))
	case !out.NotBefore.IsZero():
		return river.JobSnooze(max(time.Until(out.NotBefore), time.Second))
	default:
		w.log.InfoContext(ctx, "hard delete had nothing to do", slog.Int64("job_id", job.ID))
	}
	return nil
}

// AccountDeletedEmailWorker works send_account_deleted_email jobs: it sends
// the "account deleted" email to the address the job's notice keeps, then
// forgets the notice, the last trace of the address.
type AccountDeletedEmailWorker struct {
	river.WorkerDefaults[ports.AccountDeletedEmailJob]
	svc    *deletion.Service
	mailer ports.Mailer
	log    *slog.Logger
}

// NewAccountDeletedEmailWorker returns the worker; it panics on missing
// dependencies.
func NewAccountDeletedEmailWorker(svc *deletion.Service, mailer ports.Mailer, log *slog.Logger) *AccountDeletedEmailWorker {
	if svc == nil || mailer == nil || log == nil {
		panic("riverqueue: nil dependency")
	}
	return &AccountDeletedEmailWorker{svc: svc, mailer: mailer, log: log}
}

// Timeout bounds one delivery attempt, as for every email.
func (w *AccountDeletedEmailWorker) Timeout(*river.Job[ports.AccountDeletedEmailJob]) time.Duration {
	return time.Minute
}

// errDeliveryFailed is what River records of a failed delivery: the SMTP
// server's own words may quote the address, and River keeps every error of
// a job in its row after the account is gone. The log has the details.
var errDeliveryFailed = errors.New("account_deleted email: delivery failed (details in the log)")

// Work sends, then forgets. Delivery is at least once: a crash between the
// two sends the email again. On the last attempt the notice is forgotten
// even when delivery failed, so an address that never accepts mail does not
// stay behind.
func (w *AccountDeletedEmailWorker) Work(ctx context.Context, job *river.Job[ports.AccountDeletedEmailJob]) error {
	email, err := w.svc.DeletedEmail(ctx, job.Args.NoticeID)
	if errors.Is(err, auth.ErrNotFound) {
		return nil // sent and forgotten by an earlier run
	}
	if err != nil {
		return fmt.Errorf("compose account_deleted: %w", err)
	}
	if err := w.mailer.Send(ctx, email); err != nil {
		w.log.WarnContext(ctx, "account_deleted email not delivered", slog.String("error", err.Error()),
			slog.Int64("job_id", job.ID), slog.Int("attempt", job.Attempt))
		if job.Attempt >= job.MaxAttempts {
			if err := w.svc.ForgetNotice(context.WithoutCancel(ctx), job.Args.NoticeID); err != nil {
				return err
			}
		}
		return errDeliveryFailed
	}
	if err := w.svc.ForgetNotice(ctx, job.Args.NoticeID); err != nil {
		return err
	}
	w.log.InfoContext(ctx, "email sent", slog.String("email", string(ports.EmailAccountDeleted)),
		slog.Int64("job_id", job.ID), slog.Int("attempt", job.Attempt))
	return nil
}
