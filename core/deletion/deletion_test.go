package deletion_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/netip"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/adapters/memory"
	"authd/core/activity"
	"authd/core/auth"
	"authd/core/deletion"
	"authd/core/session"
	"authd/ports"
)

const grace = 30 * 24 * time.Hour

type testBundle struct {
	db       *memory.DB
	clock    *memory.Clock
	sessions *session.Service
	store    *flakyStore
	svc      *deletion.Service
	user     auth.User
	// current and other are two sessions of user.
	current, other auth.Session
}

// flakyStore fails the step named by failAt, to prove what a failure in
// the middle of a transaction leaves behind.
type flakyStore struct {
	*memory.DB
	failAt string
}

var errInjected = errors.New("injected failure")

func (f *flakyStore) CreateDeletionNotice(ctx context.Context, n ports.DeletionNotice) error {
	if f.failAt == "notice" {
		return errInjected
	}
	return f.DB.CreateDeletionNotice(ctx, n)
}

func (f *flakyStore) SaveDeletionRequest(ctx context.Context, r ports.DeletionRequest) error {
	if f.failAt == "save" {
		return errInjected
	}
	return f.DB.SaveDeletionRequest(ctx, r)
}

// failingRecorder fails every event, the last step of a request or cancel.
type failingRecorder struct{}

func (failingRecorder) Record(context.Context, uuid.UUID, ports.EventKind, map[string]string) error {
	return errInjected
}

func setup(t *testing.T, recorder ...ports.ActivityRecorder) testBundle {
	t.Helper()
	ctx := context.Background()
	db := memory.New()
	clock := memory.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	sessions := session.New(session.Deps{Sessions: db, Users: db, Tx: db, Jobs: db, UA: memory.UAParser{}, Clock: clock,
		Random: rand.Reader}, session.Config{Lifetime: 90 * 24 * time.Hour, IdleTimeout: 90 * 24 * time.Hour})
	var act ports.ActivityRecorder = activity.New(activity.Deps{Events: db, UA: memory.UAParser{}, Clock: clock, Random: rand.Reader})
	if len(recorder) > 0 {
		act = recorder[0]
	}
	store := &flakyStore{DB: db}
	app, _ := url.Parse("https://app.example.test/account")
	svc := deletion.New(deletion.Deps{Store: store, Data: db, Users: db, Sessions: sessions, Tx: db, Jobs: db,
		Canceller: db, Activity: act, Clock: clock, Random: rand.Reader}, deletion.Config{Grace: grace, AppURL: app})
	u := auth.User{ID: uuid.New(), Email: "Dana@Example.com", CreatedAt: clock.Now(), UpdatedAt: clock.Now()}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	a, err := sessions.Start(ctx, u.ID, auth.Client{IP: netip.MustParseAddr("203.0.113.1"), UserAgent: "laptop"}, auth.MethodPassword)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sessions.Start(ctx, u.ID, auth.Client{IP: netip.MustParseAddr("203.0.113.2"), UserAgent: "phone"}, auth.MethodPassword)
	if err != nil {
		t.Fatal(err)
	}
	return testBundle{db: db, clock: clock, sessions: sessions, store: store, svc: svc, user: u,
		current: a.Session, other: b.Session}
}

// jobs returns the committed jobs of type T with their queue rows.
func jobs[T ports.Job](db *memory.DB) []memory.Job {
	var out []memory.Job
	for _, j := range db.Jobs() {
		if _, ok := j.Args.(T); ok {
			out = append(out, j)
		}
	}
	return out
}

func emails(db *memory.DB, kind ports.EmailKind) int {
	n := 0
	for _, j := range jobs[ports.SendEmailJob](db) {
		if j.Args.(ports.SendEmailJob).Email == kind {
			n++
		}
	}
	return n
}

func (b testBundle) pendingAt(t *testing.T) *time.Time {
	t.Helper()
	u, err := b.db.FindUserByID(context.Background(), b.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	return u.DeletionAt
}

func (b testBundle) events(t *testing.T) []ports.EventKind {
	t.Helper()
	list, err := b.db.ListSecurityEventsByUser(context.Background(), b.user.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []ports.EventKind
	for _, e := range list {
		kinds = append(kinds, e.Kind)
	}
	return kinds
}

func hasEvent(kinds []ports.EventKind, k ports.EventKind) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}

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

func TestEmails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	job := ports.SendEmailJob{UserID: b.user.ID, Email: ports.EmailDeletionScheduled}
	if _, err := b.svc.ComposeScheduledEmail(ctx, job); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("nothing pending, yet composed: %v", err)
	}
	req, err := b.svc.Request(ctx, b.user.ID, b.current.ID)
	if err != nil {
		t.Fatal(err)
	}
	e, err := b.svc.ComposeScheduledEmail(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	if e.To != b.user.Email || e.Vars["execute_at"] != req.ExecuteAt.Format("2 January 2006, 15:04 UTC") ||
		e.Vars["cancel_link"] != "https://app.example.test/account/cancel-deletion" {
		t.Fatalf("scheduled email = %+v", e)
	}
	if err := b.svc.Cancel(ctx, b.user.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.ComposeScheduledEmail(ctx, job); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("cancelled before it went out, yet composed: %v", err)
	}
	c, err := b.svc.ComposeCancelledEmail(ctx, ports.SendEmailJob{UserID: b.user.ID, Email: ports.EmailDeletionCancelled})
	if err != nil || c.To != b.user.Email || c.Kind != ports.EmailDeletionCancelled {
		t.Fatalf("cancelled email = %+v, %v", c, err)
	}
}

func TestExportIsStamped(t *testing.T) {
	t.Parallel()
	b := setup(t)
	d, err := b.svc.Export(context.Background(), b.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !d.ExportedAt.Equal(b.clock.Now()) || d.User.ID != b.user.ID || len(d.Sessions) != 2 {
		t.Fatalf("export = %+v", d)
	}
	if _, err := b.svc.Export(context.Background(), uuid.New()); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
}
