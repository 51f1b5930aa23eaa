package riverqueue_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"authd/adapters/postgres"
	"authd/adapters/postgres/pgtest"
	"authd/adapters/riverqueue"
	"authd/ports"
)

type okArgs struct{}

func (okArgs) Kind() string { return "test_ok" }

type doomedArgs struct{}

func (doomedArgs) Kind() string { return "test_doomed" }

// InsertOpts gives the job one attempt, so its failure discards it.
func (doomedArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

type cancelledArgs struct{}

func (cancelledArgs) Kind() string { return "test_cancelled" }

type snoozedArgs struct{}

func (snoozedArgs) Kind() string { return "test_snoozed" }

func TestQueueCountsTheJobsItWorks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := pgtest.New(t)
	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(context.Context, *river.Job[okArgs]) error { return nil }))
	river.AddWorker(workers, river.WorkFunc(func(context.Context, *river.Job[doomedArgs]) error {
		return errors.New("always fails")
	}))
	river.AddWorker(workers, river.WorkFunc(func(context.Context, *river.Job[cancelledArgs]) error {
		return river.JobCancel(errors.New("not worth doing"))
	}))
	river.AddWorker(workers, river.WorkFunc(func(context.Context, *river.Job[snoozedArgs]) error {
		return river.JobSnooze(time.Hour)
	}))
	reg := prometheus.NewRegistry()
	q, err := riverqueue.New(pg.Pool, riverqueue.Config{Logger: slog.New(slog.DiscardHandler), Work: true,
		Workers: workers, Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			if err := q.Stop(ctx); err != nil {
				t.Error(err)
			}
		}
	}
	t.Cleanup(stop)
	db := postgres.New(pg.Pool)
	err = db.WithinTx(ctx, func(ctx context.Context) error {
		for _, job := range []ports.Job{okArgs{}, okArgs{}, doomedArgs{}, cancelledArgs{}, snoozedArgs{}} {
			if _, err := q.Enqueue(ctx, job, ports.JobOpts{}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	want := map[[2]string]float64{{"test_ok", "completed"}: 2, {"test_doomed", "discarded"}: 1,
		{"test_cancelled", "cancelled"}: 1, {"test_snoozed", "snoozed"}: 1}
	deadline := time.Now().Add(30 * time.Second)
	for {
		missing := ""
		for k, n := range want {
			if got := jobCount(t, reg, k[0], k[1]); got != n {
				missing = k[0] + " " + k[1]
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s count within 30s", missing)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop() // and the subscription ends with the client
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "authd_job_duration_seconds" && len(f.GetMetric()) != 4 {
			t.Errorf("%d duration series, want one per kind", len(f.GetMetric()))
		}
	}
}

// jobCount is authd_jobs_total for kind and outcome, on the maintenance
// queue where kinds with no queue of their own go.
func jobCount(t *testing.T, reg prometheus.Gatherer, kind, outcome string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "authd_jobs_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["kind"] == kind && labels["outcome"] == outcome && labels["queue"] == riverqueue.QueueMaintenance {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
