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

// Outcome is what executing a deletion request did.
type Outcome struct {
	// Deleted is true when this run deleted the account.
	Deleted bool
	// UserID is the deleted account's ID (for logs), when Deleted.
	UserID uuid.UUID
	// NotBefore is set when the request is not due yet: the job should run
	// again then. It happens only when the job ran early (clocks apart).
	NotBefore time.Time
}

// Execute runs the hard delete of request requestID for the job jobID. In one
// transaction it removes every row about the user in every table and every
// job naming them, and writes the notice the "account deleted" email will go
// to, with that email's job. It does nothing, successfully, when the request
// is gone (a second run), cancelled, or names another job (one left over
// from before a cancellation). When it fails, nothing has changed and the
// job may run it again.
func (s *Service) Execute(ctx context.Context, requestID uuid.UUID, jobID int64) (Outcome, error) {
	var out Outcome
	err := s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		// Locked until commit: a cancellation waits for the delete, or the
		// delete sees the cancellation.
		req, err := s.d.Store.FindDeletionRequest(ctx, requestID)
		if errors.Is(err, auth.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("deletion: find request: %w", err)
		}
		if req.Cancelled || req.JobID != jobID {
			return nil
		}
		now := s.now()
		if now.Before(req.ExecuteAt) {
			out.NotBefore = req.ExecuteAt
			return nil
		}
		email, err := s.d.Store.DeleteUserData(ctx, req.UserID, jobID)
		if errors.Is(err, auth.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("deletion: delete user data: %w", err)
		}
		id, err := s.newID()
		if err != nil {
			return err
		}
		if err := s.d.Store.CreateDeletionNotice(ctx, ports.DeletionNotice{ID: id, Email: email, CreatedAt: now}); err != nil {
			return fmt.Errorf("deletion: create notice: %w", err)
		}
		if _, err := s.d.Jobs.Enqueue(ctx, ports.AccountDeletedEmailJob{NoticeID: id}, ports.JobOpts{}); err != nil {
			return fmt.Errorf("deletion: enqueue email: %w", err)
		}
		out = Outcome{Deleted: true, UserID: req.UserID}
		return nil
	})
	if err != nil {
		return Outcome{}, err
	}
	return out, nil
}
