package deletion_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

func TestExecute(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	requested := func(t *testing.T) (testBundle, ports.DeletionRequest) {
		b := setup(t)
		req, err := b.svc.Request(ctx, b.user.ID, b.current.ID)
		if err != nil {
			t.Fatal(err)
		}
		return b, req
	}
	t.Run("NotDueIsPutOff", func(t *testing.T) {
		t.Parallel()
		b, req := requested(t)
		out, err := b.svc.Execute(ctx, req.ID, req.JobID)
		if err != nil || out.Deleted || !out.NotBefore.Equal(req.ExecuteAt) {
			t.Fatalf("early run = %+v, %v; want put off to %v", out, err, req.ExecuteAt)
		}
	})
	t.Run("DeletesEverythingAndQueuesTheNotice", func(t *testing.T) {
		t.Parallel()
		b, req := requested(t)
		b.clock.Advance(grace)
		out, err := b.svc.Execute(ctx, req.ID, req.JobID)
		if err != nil || !out.Deleted || out.UserID != b.user.ID {
			t.Fatalf("execute = %+v, %v", out, err)
		}
		if _, err := b.db.FindUserByID(ctx, b.user.ID); !errors.Is(err, auth.ErrNotFound) {
			t.Fatal("the user is still there")
		}
		if ev, _ := b.db.ListSecurityEventsByUser(ctx, b.user.ID, 0); len(ev) != 0 {
			t.Fatal("the user's events are still there")
		}
		for _, j := range b.db.Jobs() {
			if e, ok := j.Args.(ports.SendEmailJob); ok && e.UserID == b.user.ID {
				t.Fatalf("the user's %s email job is still queued", e.Email)
			}
		}
		notices := jobs[ports.AccountDeletedEmailJob](b.db)
		if len(notices) != 1 {
			t.Fatalf("%d account_deleted jobs, want 1", len(notices))
		}
		id := notices[0].Args.(ports.AccountDeletedEmailJob).NoticeID
		email, err := b.svc.DeletedEmail(ctx, id)
		if err != nil || email.To != b.user.Email || email.Kind != ports.EmailAccountDeleted {
			t.Fatalf("email = %+v, %v", email, err)
		}
		if err := b.svc.ForgetNotice(ctx, id); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.DeletedEmail(ctx, id); !errors.Is(err, auth.ErrNotFound) {
			t.Fatal("the notice outlived its email")
		}
		again, err := b.svc.Execute(ctx, req.ID, req.JobID)
		if err != nil || again.Deleted || len(jobs[ports.AccountDeletedEmailJob](b.db)) != 1 {
			t.Fatalf("second run = %+v, %v; want nothing done", again, err)
		}
	})
	t.Run("AFailureMidwayLeavesEverythingAndARetryDeletes", func(t *testing.T) {
		t.Parallel()
		b, req := requested(t)
		b.clock.Advance(grace)
		jobsBefore := len(b.db.Jobs())
		b.store.failAt = "notice" // after the rows and jobs are deleted
		if _, err := b.svc.Execute(ctx, req.ID, req.JobID); !errors.Is(err, errInjected) {
			t.Fatalf("error = %v, want the injected one", err)
		}
		if _, err := b.db.FindUserByID(ctx, b.user.ID); err != nil {
			t.Fatal("a failed delete removed the user")
		}
		if list, _ := b.sessions.List(ctx, b.user.ID); len(list) != 1 || len(b.db.Jobs()) != jobsBefore || b.pendingAt(t) == nil {
			t.Fatal("a failed delete removed sessions, jobs or the request")
		}
		b.store.failAt = ""
		if out, err := b.svc.Execute(ctx, req.ID, req.JobID); err != nil || !out.Deleted {
			t.Fatalf("retry = %+v, %v", out, err)
		}
	})
	t.Run("OnlyTheNamedJobExecutes", func(t *testing.T) {
		t.Parallel()
		b, req := requested(t)
		b.clock.Advance(grace)
		if out, err := b.svc.Execute(ctx, req.ID, req.JobID+100); err != nil || out.Deleted {
			t.Fatalf("another job executed the request: %+v, %v", out, err)
		}
		if out, err := b.svc.Execute(ctx, uuid.New(), req.JobID); err != nil || out.Deleted {
			t.Fatalf("an unknown request executed: %+v, %v", out, err)
		}
	})
}
