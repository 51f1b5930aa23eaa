package deletion_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/core/deletion"
	"authd/ports"
)

func TestRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("SchedulesTheJobRevokesOtherSessionsAndEmails", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		req, err := b.svc.Request(ctx, b.user.ID, b.current.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := b.clock.Now().Add(grace); !req.ExecuteAt.Equal(want) {
			t.Fatalf("execute_at = %v, want %v", req.ExecuteAt, want)
		}
		hard := jobs[ports.HardDeleteJob](b.db)
		if len(hard) != 1 || hard[0].ID != req.JobID || hard[0].Args.(ports.HardDeleteJob).RequestID != req.ID ||
			!hard[0].Opts.ScheduledAt.Equal(req.ExecuteAt) {
			t.Fatalf("hard-delete jobs = %+v, want one for %+v at execute_at", hard, req)
		}
		if emails(b.db, ports.EmailDeletionScheduled) != 1 {
			t.Fatal("no deletion_scheduled email queued")
		}
		if at := b.pendingAt(t); at == nil || !at.Equal(req.ExecuteAt) {
			t.Fatalf("user lookup shows deletion at %v", at)
		}
		list, _ := b.sessions.List(ctx, b.user.ID)
		if len(list) != 1 || list[0].ID != b.current.ID {
			t.Fatalf("sessions left %d, want only the current one", len(list))
		}
		if !hasEvent(b.events(t), ports.EventDeletionRequested) {
			t.Fatalf("events %v lack deletion_requested", b.events(t))
		}
	})
	t.Run("SecondRequestIsRefused", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		if _, err := b.svc.Request(ctx, b.user.ID, b.current.ID); err != nil {
			t.Fatal(err)
		}
		_, err := b.svc.Request(ctx, b.user.ID, b.current.ID)
		if !errors.Is(err, auth.ErrDeletionPending) {
			t.Fatalf("error = %v, want deletion_pending", err)
		}
		if n := len(jobs[ports.HardDeleteJob](b.db)); n != 1 {
			t.Fatalf("%d hard-delete jobs, want 1", n)
		}
	})
	t.Run("AFailureLeavesNothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, failingRecorder{})
		before := len(b.db.Jobs())
		if _, err := b.svc.Request(ctx, b.user.ID, b.current.ID); !errors.Is(err, errInjected) {
			t.Fatalf("error = %v, want the injected one", err)
		}
		if len(b.db.Jobs()) != before || b.pendingAt(t) != nil {
			t.Fatal("a failed request left a job or a pending deletion")
		}
		if list, _ := b.sessions.List(ctx, b.user.ID); len(list) != 2 {
			t.Fatal("a failed request revoked sessions")
		}
	})
}

func TestCancel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("CancelsTheRequestAndItsJobAndEmails", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		req, err := b.svc.Request(ctx, b.user.ID, b.current.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.svc.Cancel(ctx, b.user.ID); err != nil {
			t.Fatal(err)
		}
		if hard := jobs[ports.HardDeleteJob](b.db); !hard[0].Cancelled {
			t.Fatal("the hard-delete job was not cancelled")
		}
		if emails(b.db, ports.EmailDeletionCancelled) != 1 || b.pendingAt(t) != nil {
			t.Fatal("no cancellation email, or the deletion still shows")
		}
		if !hasEvent(b.events(t), ports.EventDeletionCancelled) {
			t.Fatal("no deletion_cancelled event")
		}
		// Even if the job escaped cancellation, it finds nothing to do.
		b.clock.Advance(grace + time.Hour)
		out, err := b.svc.Execute(ctx, req.ID, req.JobID)
		if err != nil || out.Deleted {
			t.Fatalf("execute after cancel = %+v, %v", out, err)
		}
		if _, err := b.db.FindUserByID(ctx, b.user.ID); err != nil {
			t.Fatal("the account is gone after a cancel")
		}
	})
	t.Run("NothingPendingIsNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		if err := b.svc.Cancel(ctx, b.user.ID); !errors.Is(err, auth.ErrNotFound) {
			t.Fatalf("error = %v, want not_found", err)
		}
	})
	t.Run("AFailureKeepsTheDeletionScheduled", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		if _, err := b.svc.Request(ctx, b.user.ID, b.current.ID); err != nil {
			t.Fatal(err)
		}
		failing := setupWith(b, failingRecorder{})
		if err := failing.Cancel(ctx, b.user.ID); !errors.Is(err, errInjected) {
			t.Fatalf("error = %v", err)
		}
		if jobs[ports.HardDeleteJob](b.db)[0].Cancelled || b.pendingAt(t) == nil {
			t.Fatal("a failed cancel cancelled something")
		}
	})
}

// setupWith is b's service with another activity recorder.
func setupWith(b testBundle, rec ports.ActivityRecorder) *deletion.Service {
	app, _ := url.Parse("https://app.example.test/account")
	return deletion.New(deletion.Deps{Store: b.store, Data: b.db, Users: b.db, Sessions: b.sessions, Tx: b.db, Jobs: b.db,
		Canceller: b.db, Activity: rec, Clock: b.clock, Random: rand.Reader}, deletion.Config{Grace: grace, AppURL: app})
}

func TestDeleteNow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("ReplacesAPendingRequestWithAnImmediateJob", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		old, err := b.svc.Request(ctx, b.user.ID, b.current.ID)
		if err != nil {
			t.Fatal(err)
		}
		now, err := b.svc.DeleteNow(ctx, b.user.ID)
		if err != nil {
			t.Fatal(err)
		}
		if now.ID != old.ID || now.JobID == old.JobID || !now.ExecuteAt.Equal(b.clock.Now()) {
			t.Fatalf("delete now = %+v after %+v", now, old)
		}
		hard := jobs[ports.HardDeleteJob](b.db)
		if len(hard) != 2 || !hard[0].Cancelled || hard[1].Cancelled || !hard[1].Opts.ScheduledAt.IsZero() {
			t.Fatalf("jobs = %+v: want the scheduled one cancelled and one to run at once", hard)
		}
		if out, err := b.svc.Execute(ctx, now.ID, now.JobID); err != nil || !out.Deleted {
			t.Fatalf("execute = %+v, %v", out, err)
		}
	})
	t.Run("UnknownUserIsNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		if _, err := b.svc.DeleteNow(ctx, uuid.New()); !errors.Is(err, auth.ErrNotFound) {
			t.Fatalf("error = %v", err)
		}
		if len(jobs[ports.HardDeleteJob](b.db)) != 0 {
			t.Fatal("a job was queued for nobody")
		}
	})
}
