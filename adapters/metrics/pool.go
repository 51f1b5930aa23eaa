package metrics

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// Pool reports a pgxpool's statistics as authd_db_pool_* metrics, read at
// each scrape: the pool keeps the counts itself, so nothing is counted twice
// and nothing runs between scrapes.
type Pool struct {
	stat func() *pgxpool.Stat
}

// NewPool reports pool's statistics. Register it on the registry.
func NewPool(pool *pgxpool.Pool) *Pool { return &Pool{stat: pool.Stat} }

var (
	poolAcquired = prometheus.NewDesc("authd_db_pool_acquired_connections",
		"Connections in use.", nil, nil)
	poolIdle = prometheus.NewDesc("authd_db_pool_idle_connections",
		"Connections open and idle.", nil, nil)
	poolTotal = prometheus.NewDesc("authd_db_pool_total_connections",
		"Connections open, in use, idle or being opened.", nil, nil)
	poolConstructing = prometheus.NewDesc("authd_db_pool_constructing_connections",
		"Connections being opened.", nil, nil)
	poolMax = prometheus.NewDesc("authd_db_pool_max_connections",
		"The most connections the pool opens.", nil, nil)
	poolAcquires = prometheus.NewDesc("authd_db_pool_acquires_total",
		"Connections acquired from the pool.", nil, nil)
	poolAcquireSeconds = prometheus.NewDesc("authd_db_pool_acquire_duration_seconds_total",
		"Time spent acquiring connections; divided by acquires, the mean wait.", nil, nil)
	poolEmptyAcquires = prometheus.NewDesc("authd_db_pool_empty_acquires_total",
		"Acquires that found no idle connection and waited for one.", nil, nil)
	poolCanceledAcquires = prometheus.NewDesc("authd_db_pool_canceled_acquires_total",
		"Acquires given up because their context ended first.", nil, nil)
	poolNewConns = prometheus.NewDesc("authd_db_pool_new_connections_total",
		"Connections opened.", nil, nil)
)

// Describe implements prometheus.Collector.
func (p *Pool) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolAcquired, poolIdle, poolTotal, poolConstructing, poolMax, poolAcquires,
		poolAcquireSeconds, poolEmptyAcquires, poolCanceledAcquires, poolNewConns} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (p *Pool) Collect(ch chan<- prometheus.Metric) {
	s := p.stat()
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(poolAcquired, float64(s.AcquiredConns()))
	gauge(poolIdle, float64(s.IdleConns()))
	gauge(poolTotal, float64(s.TotalConns()))
	gauge(poolConstructing, float64(s.ConstructingConns()))
	gauge(poolMax, float64(s.MaxConns()))
	counter(poolAcquires, float64(s.AcquireCount()))
	counter(poolAcquireSeconds, s.AcquireDuration().Seconds())
	counter(poolEmptyAcquires, float64(s.EmptyAcquireCount()))
	counter(poolCanceledAcquires, float64(s.CanceledAcquireCount()))
	counter(poolNewConns, float64(s.NewConnsCount()))
}
