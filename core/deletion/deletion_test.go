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
