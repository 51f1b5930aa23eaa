package deletion

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// Request schedules the deletion of the user's account at now plus the grace
// period and returns the request. In one transaction it stores the request,
// schedules the hard-delete job at execute_at, revokes every session of the
// user but keep, and enqueues the email that says when and how to cancel.
// auth.ErrDeletionPending when a deletion is already pending. Recent
// authentication is the HTTP layer's to require.
func (s *Service) Request(ctx context.Context, userID, keep uuid.UUID) (ports.DeletionRequest, error) {
	now := s.now()
	var req ports.DeletionRequest
	err := s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		id, pending, err := s.requestID(ctx, userID)
		if err != nil {
			return err
		}
		if pending {
			return auth.ErrDeletionPending
		}
		req = ports.DeletionRequest{ID: id, UserID: userID, RequestedAt: now, ExecuteAt: now.Add(s.cfg.Grace)}
		if err := s.schedule(ctx, &req, false); err != nil {
			return err
		}
		if _, err := s.d.Sessions.RevokeOthers(ctx, userID, keep); err != nil {
			return fmt.Errorf("deletion: request: %w", err)
		}
		job := ports.SendEmailJob{UserID: userID, Email: ports.EmailDeletionScheduled}
		if _, err := s.d.Jobs.Enqueue(ctx, job, ports.JobOpts{}); err != nil {
			return fmt.Errorf("deletion: enqueue email: %w", err)
		}
		return s.d.Activity.Record(ctx, userID, ports.EventDeletionRequested,
			map[string]string{"execute_at": req.ExecuteAt.Format(time.RFC3339)})
	})
	if err != nil {
		return ports.DeletionRequest{}, err
	}
	return req, nil
}

// requestID returns the ID the user's request has (kept across
// cancellations) or a new one, and whether a request is pending. Inside the
// transaction the row stays locked, so a concurrent cancel waits.
func (s *Service) requestID(ctx context.Context, userID uuid.UUID) (uuid.UUID, bool, error) {
	old, err := s.d.Store.FindDeletionRequestByUser(ctx, userID)
	if errors.Is(err, auth.ErrNotFound) {
		id, err := s.newID()
		return id, false, err
	}
	if err != nil {
		return uuid.Nil, false, fmt.Errorf("deletion: find request: %w", err)
	}
	return old.ID, !old.Cancelled, nil
}

// schedule enqueues req's hard-delete job, at req.ExecuteAt or, when now is
// true, at once by the queue's clock, and stores req naming it.
func (s *Service) schedule(ctx context.Context, req *ports.DeletionRequest, now bool) error {
	opts := ports.JobOpts{ScheduledAt: req.ExecuteAt}
	if now {
		opts = ports.JobOpts{}
	}
	jobID, err := s.d.Jobs.Enqueue(ctx, ports.HardDeleteJob{RequestID: req.ID}, opts)
	if err != nil {
		return fmt.Errorf("deletion: enqueue hard delete: %w", err)
	}
	req.JobID = jobID
	if err := s.d.Store.SaveDeletionRequest(ctx, *req); err != nil {
		if errors.Is(err, auth.ErrDeletionPending) {
			return auth.ErrDeletionPending // a concurrent request won
		}
		return fmt.Errorf("deletion: save request: %w", err)
	}
	return nil
}

// Cancel cancels the user's pending deletion: the request is marked
// cancelled, its job cancelled, and an email confirms it, together.
// auth.ErrNotFound when no deletion is pending.
func (s *Service) Cancel(ctx context.Context, userID uuid.UUID) error {
	now := s.now()
	return s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		req, err := s.d.Store.CancelDeletionRequest(ctx, userID, now)
		if errors.Is(err, auth.ErrNotFound) {
			return auth.ErrNotFound.WithMessage("No deletion is pending.")
		}
		if err != nil {
			return fmt.Errorf("deletion: cancel: %w", err)
		}
		if err := s.d.Canceller.CancelJob(ctx, req.JobID); err != nil {
			return fmt.Errorf("deletion: cancel job: %w", err)
		}
		job := ports.SendEmailJob{UserID: userID, Email: ports.EmailDeletionCancelled}
		if _, err := s.d.Jobs.Enqueue(ctx, job, ports.JobOpts{}); err != nil {
			return fmt.Errorf("deletion: enqueue email: %w", err)
		}
		return s.d.Activity.Record(ctx, userID, ports.EventDeletionCancelled, nil)
	})
}

// DeleteNow schedules the user's deletion for now, through the same job as a
// request, replacing a pending request (whose job is cancelled). It is the
// administrator's: no email announces it, and the "account deleted" email
// follows. auth.ErrNotFound when there is no such user.
func (s *Service) DeleteNow(ctx context.Context, userID uuid.UUID) (ports.DeletionRequest, error) {
	now := s.now()
	var req ports.DeletionRequest
	err := s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		if _, err := s.d.Users.FindUserByID(ctx, userID); err != nil {
			if errors.Is(err, auth.ErrNotFound) {
				return auth.ErrNotFound
			}
			return fmt.Errorf("deletion: find user: %w", err)
		}
		id, pending, err := s.requestID(ctx, userID)
		if err != nil {
			return err
		}
		if pending {
			old, err := s.d.Store.CancelDeletionRequest(ctx, userID, now)
			if err != nil {
				return fmt.Errorf("deletion: replace request: %w", err)
			}
			if err := s.d.Canceller.CancelJob(ctx, old.JobID); err != nil {
				return fmt.Errorf("deletion: cancel job: %w", err)
			}
		}
		req = ports.DeletionRequest{ID: id, UserID: userID, RequestedAt: now, ExecuteAt: now}
		return s.schedule(ctx, &req, true)
	})
	if err != nil {
		return ports.DeletionRequest{}, err
	}
	return req, nil
}
