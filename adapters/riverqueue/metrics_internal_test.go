package riverqueue

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

func TestEveryRunEndIsCountedUnderItsOutcome(t *testing.T) {
	t.Parallel()
	m := newJobMetrics(prometheus.NewRegistry())
	run := func(kind river.EventKind, state rivertype.JobState) *river.Event {
		return &river.Event{Kind: kind, Job: &rivertype.JobRow{Kind: "send_email", Queue: QueueEmail, State: state},
			JobStats: &river.JobStatistics{RunDuration: 30 * time.Millisecond}}
	}
	events := []*river.Event{
		run(river.EventKindJobCompleted, rivertype.JobStateCompleted),
		run(river.EventKindJobCompleted, rivertype.JobStateCompleted),
		run(river.EventKindJobFailed, rivertype.JobStateRetryable),
		run(river.EventKindJobFailed, rivertype.JobStateDiscarded),
		run(river.EventKindJobCancelled, rivertype.JobStateCancelled),
		run(river.EventKindJobSnoozed, rivertype.JobStateScheduled),
		run(river.EventKindJobInterrupted, rivertype.JobStateAvailable),
		{Kind: river.EventKindQueuePaused}, // no job: not a run
	}
	for _, ev := range events {
		m.count(ev)
	}
	want := map[string]float64{"completed": 2, "failed": 1, "discarded": 1, "cancelled": 1, "snoozed": 1, "interrupted": 1}
	for o, n := range want {
		if got := testutil.ToFloat64(m.jobs.WithLabelValues("send_email", QueueEmail, o)); got != n {
			t.Errorf("jobs{outcome=%q} = %v, want %v", o, got, n)
		}
	}
	if n := testutil.CollectAndCount(m.jobs); n != len(want) {
		t.Errorf("%d series, want %d", n, len(want))
	}
	if n := testutil.CollectAndCount(m.duration); n != 1 {
		t.Errorf("%d duration series, want 1", n)
	}
}
