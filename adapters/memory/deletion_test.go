package memory_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/adapters/memory"
	"authd/core/auth"
	"authd/ports"
	"authd/ports/portstest"
)

func TestDeletionConformance(t *testing.T) {
	t.Parallel()
	portstest.RunDeletion(t, func(t *testing.T) portstest.DeletionStores {
		db := memory.New()
		return portstest.DeletionStores{Users: db, Sessions: db, MFA: db, Changes: db, Requests: db, Providers: db,
			Identities: db, Events: db, Deletion: db, Data: db, Tx: db}
	})
}

func TestDeleteUserDataDropsTheUsersJobsOnCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := memory.New()
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	gone := auth.User{ID: uuid.New(), Email: "Gone@Example.com", CreatedAt: now, UpdatedAt: now}
	kept := auth.User{ID: uuid.New(), Email: "kept@example.com", CreatedAt: now, UpdatedAt: now}
	var keep, old int64
	reqID := uuid.New()
	err := db.WithinTx(ctx, func(ctx context.Context) error {
		for _, u := range []auth.User{gone, kept} {
			if err := db.CreateUser(ctx, u); err != nil {
				return err
			}
			if _, err := db.Enqueue(ctx, ports.SendEmailJob{UserID: u.ID, Email: ports.EmailVerify}, ports.JobOpts{}); err != nil {
				return err
			}
		}
		var err error
		if old, err = db.Enqueue(ctx, ports.HardDeleteJob{RequestID: reqID}, ports.JobOpts{}); err != nil {
			return err
		}
		if keep, err = db.Enqueue(ctx, ports.HardDeleteJob{RequestID: reqID}, ports.JobOpts{}); err != nil {
			return err
		}
		return db.SaveDeletionRequest(ctx, ports.DeletionRequest{ID: reqID, UserID: gone.ID, RequestedAt: now,
			ExecuteAt: now, JobID: keep})
	})
	if err != nil {
		t.Fatal(err)
	}
	deleteGone := func(fail error) error {
		return db.WithinTx(ctx, func(ctx context.Context) error {
			if _, err := db.DeleteUserData(ctx, gone.ID, keep); err != nil {
				return err
			}
			return fail
		})
	}
	t.Run("RollbackKeepsThem", func(t *testing.T) {
		boom := errors.New("boom")
		if err := deleteGone(boom); !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if n := len(db.Jobs()); n != 4 {
			t.Fatalf("%d jobs after a rolled-back delete, want 4", n)
		}
	})
	t.Run("CommitDropsThemButTheRunningOne", func(t *testing.T) {
		if err := deleteGone(nil); err != nil {
			t.Fatal(err)
		}
		var left []int64
		for _, j := range db.Jobs() {
			left = append(left, j.ID)
			if e, ok := j.Args.(ports.SendEmailJob); ok && e.UserID == gone.ID {
				t.Fatal("the deleted user's email job is left")
			}
			if j.ID == old {
				t.Fatal("the request's other job is left")
			}
		}
		if len(left) != 2 {
			t.Fatalf("jobs left %v, want the other user's and the running one", left)
		}
	})
}

func TestCancelJobTakesEffectOnCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := memory.New()
	var id int64
	_ = db.WithinTx(ctx, func(ctx context.Context) error {
		var err error
		id, err = db.Enqueue(ctx, ports.HardDeleteJob{RequestID: uuid.New()}, ports.JobOpts{})
		return err
	})
	boom := errors.New("boom")
	_ = db.WithinTx(ctx, func(ctx context.Context) error {
		if err := db.CancelJob(ctx, id); err != nil {
			return err
		}
		return boom
	})
	if db.Jobs()[0].Cancelled {
		t.Fatal("a rolled-back cancel cancelled the job")
	}
	_ = db.WithinTx(ctx, func(ctx context.Context) error { return db.CancelJob(ctx, id) })
	if !db.Jobs()[0].Cancelled {
		t.Fatal("a committed cancel left the job")
	}
}
