// Package metrics holds what authd reports to Prometheus outside the HTTP
// API and the job queue, which count their own: the registry every part
// registers on, the session counters the core reports to through
// ports.SessionMetrics, and collectors that read the PostgreSQL pool's and
// the session cache's statistics at scrape time.
//
// There is no global registry: cmd builds one per run of the program and
// hands it to each part, so parallel tests, each running its own program,
// never count into each other's metrics.
package metrics
