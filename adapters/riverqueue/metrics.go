package riverqueue

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// jobMetrics counts worked jobs from the River client's event stream:
// authd_jobs_total by kind, queue and outcome, and how long each run took.
// Events come after River has stored the job's new state, so "completed"
// is a completion that committed. The client drops events its subscriber
// is too slow for (its buffer holds 1,000); counting is all this one does.
type jobMetrics struct {
	jobs     *prometheus.CounterVec
	duration *prometheus.HistogramVec
	// stop ends the subscription; done closes when the last event is counted.
	stop func()
	done chan struct{}
}

func newJobMetrics(reg prometheus.Registerer) *jobMetrics {
	m := &jobMetrics{
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "authd_jobs_total",
			Help: "Job runs, by kind, queue and outcome (completed, failed: to be retried, discarded: failed for good, cancelled, snoozed, interrupted)."},
			[]string{"kind", "queue", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "authd_job_duration_seconds",
			Help:    "Time job runs took in their worker, by kind and queue.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}}, []string{"kind", "queue"}),
	}
	reg.MustRegister(m.jobs, m.duration)
	return m
}

// jobEvents are the events that end one run of a job.
var jobEvents = []river.EventKind{river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled,
	river.EventKindJobSnoozed, river.EventKindJobInterrupted}

// outcome names how a run ended.
func outcome(ev *river.Event) string {
	switch ev.Kind {
	case river.EventKindJobCompleted:
		return "completed"
	case river.EventKindJobFailed:
		if ev.Job.State == rivertype.JobStateDiscarded {
			return "discarded"
		}
		return "failed"
	case river.EventKindJobCancelled:
		return "cancelled"
	case river.EventKindJobSnoozed:
		return "snoozed"
	case river.EventKindJobInterrupted:
		return "interrupted"
	}
	return string(ev.Kind)
}

// count records one event.
func (m *jobMetrics) count(ev *river.Event) {
	if ev.Job == nil {
		return
	}
	m.jobs.WithLabelValues(ev.Job.Kind, ev.Job.Queue, outcome(ev)).Inc()
	if ev.JobStats != nil {
		m.duration.WithLabelValues(ev.Job.Kind, ev.Job.Queue).Observe(ev.JobStats.RunDuration.Seconds())
	}
}

// watch subscribes before the client starts, so no run goes uncounted. The
// client closes the channel when it stops.
func (q *Queue) watch() {
	if q.metrics == nil {
		return
	}
	events, stop := q.client.Subscribe(jobEvents...)
	q.metrics.stop, q.metrics.done = stop, make(chan struct{})
	go func() {
		defer close(q.metrics.done)
		for ev := range events {
			q.metrics.count(ev)
		}
	}()
}

// unwatch ends the subscription (a no-op when the stopped client already
// has) and waits for the counting to finish.
func (q *Queue) unwatch() {
	if q.metrics == nil || q.metrics.stop == nil {
		return
	}
	q.metrics.stop()
	<-q.metrics.done
	q.metrics.stop = nil
}
