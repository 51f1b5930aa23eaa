package metrics

import "github.com/prometheus/client_golang/prometheus"

// SessionCache reports the session cache's lookups as
// authd_session_cache_hits_total and authd_session_cache_misses_total, read
// at each scrape from the counts the cache keeps.
type SessionCache struct {
	stats func() (hits, misses int64)
}

// NewSessionCache reports what stats returns (postgres.SessionCache.Stats).
// Register it on the registry.
func NewSessionCache(stats func() (hits, misses int64)) *SessionCache {
	if stats == nil {
		panic("metrics: nil dependency")
	}
	return &SessionCache{stats: stats}
}

var (
	cacheHits = prometheus.NewDesc("authd_session_cache_hits_total",
		"Session lookups answered from memory.", nil, nil)
	cacheMisses = prometheus.NewDesc("authd_session_cache_misses_total",
		"Session lookups that read the database.", nil, nil)
)

// Describe implements prometheus.Collector.
func (c *SessionCache) Describe(ch chan<- *prometheus.Desc) { ch <- cacheHits; ch <- cacheMisses }

// Collect implements prometheus.Collector.
func (c *SessionCache) Collect(ch chan<- prometheus.Metric) {
	hits, misses := c.stats()
	ch <- prometheus.MustNewConstMetric(cacheHits, prometheus.CounterValue, float64(hits))
	ch <- prometheus.MustNewConstMetric(cacheMisses, prometheus.CounterValue, float64(misses))
}
