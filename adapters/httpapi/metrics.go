package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"authd/core/auth"
)

// MetricsRegistry is where the API registers its metrics and what GET
// /metrics serves; *prometheus.Registry is one.
type MetricsRegistry interface {
	prometheus.Registerer
	prometheus.Gatherer
}

// httpMetrics are the API's own metrics. Every label comes from a closed
// set: the route template (never the raw path), a known method, the status,
// an error code; so no client can make a series per request.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	logins   *prometheus.CounterVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "authd_http_requests_total",
			Help: "HTTP requests answered, by route template, method and status."}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "authd_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route template and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"route", "method"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "authd_logins_total",
			Help: "Sign-in attempts, by method (password, mfa, saml) and outcome (success, mfa_required or the error code)."},
			[]string{"method", "outcome"}),
	}
	reg.MustRegister(m.requests, m.duration, m.logins)
	return m
}

// loginRoutes are the sign-in routes and the method authd_logins_total
// counts each under.
var loginRoutes = map[string]string{"/v1/login": "password", "/v1/login/mfa": "mfa", "/v1/saml/acs": "saml"}

// knownMethods bounds the method label: anything else is "other".
var knownMethods = map[string]bool{http.MethodGet: true, http.MethodHead: true, http.MethodPost: true,
	http.MethodPut: true, http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true}

// notALogin is the login outcome of a request on a sign-in route that
// turned out not to be one: a SAML response that completed a step-up.
const notALogin = "-"

// exchange is what observe learns from inside a request: the route template
// that matched (recordRoute), the error code answered (writeError), and on
// a sign-in route an outcome its status does not tell (setLoginOutcome).
type exchange struct {
	route string
	code  string
	login string
	// log is the server's logger and requestID the request's, joined only
	// when a handler logs (rarely), not on every request.
	log       *slog.Logger
	requestID string
}

// exchangeOf returns the request's exchange, or a throwaway one for a
// request that did not come through observe (a handler test).
func exchangeOf(r *http.Request) *exchange {
	if x, ok := r.Context().Value(exchangeKey).(*exchange); ok {
		return x
	}
	return &exchange{}
}

// setLoginOutcome tells observe how a sign-in ended when the status alone
// does not: mfa_required is a 200 that starts no session.
func setLoginOutcome(r *http.Request, outcome string) { exchangeOf(r).login = outcome }

// observe counts one answered request.
func (m *httpMetrics) observe(x *exchange, method string, status int, elapsed time.Duration) {
	if m == nil {
		return
	}
	if !knownMethods[method] {
		method = "other"
	}
	m.requests.WithLabelValues(x.route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(x.route, method).Observe(elapsed.Seconds())
	loginMethod, ok := loginRoutes[x.route]
	if !ok || method != http.MethodPost || x.login == notALogin {
		return
	}
	outcome := x.login
	switch {
	case outcome != "":
	case x.code != "":
		outcome = x.code // invalid_credentials, rate_limited, sso_required, ...: a closed set
	case status < 400:
		outcome = "success"
	default:
		outcome = "error"
	}
	m.logins.WithLabelValues(loginMethod, outcome).Inc()
}

// MetricsHandler serves g in Prometheus' text format. With a token, only a
// request bearing it (Authorization: Bearer) is served, compared through
// SHA-256 in constant time like the admin token; without one it is open,
// for deployments that keep /metrics off the public network. authd serve
// answers GET /metrics with it; authd worker serves it on its own address.
func MetricsHandler(g prometheus.Gatherer, token string, log *slog.Logger) http.Handler {
	h := promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError})
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" {
			scheme, cred, ok := strings.Cut(r.Header.Get("Authorization"), " ")
			got := sha256.Sum256([]byte(strings.TrimSpace(cred)))
			if !ok || !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
				writeError(w, r, auth.ErrUnauthenticated.WithMessage("Use Authorization: Bearer <metrics token>."))
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// handleMetrics is GET /metrics; 404 for a server built without metrics.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if s.metricsHandler == nil {
		writeError(w, r, errRouteNotFound)
		return
	}
	s.metricsHandler.ServeHTTP(w, r)
}

// NewMetricsServer is what authd worker serves on AUTHD_WORKER_METRICS_ADDR:
// GET /metrics and GET /healthz, through the same observe as the API (access
// log, request ID, security headers, request metrics), so a worker is
// scraped and probed like an API process. It is not the API: nothing else
// is served.
func NewMetricsServer(reg MetricsRegistry, token string, log *slog.Logger) http.Handler {
	if reg == nil || log == nil {
		panic("httpapi: nil dependency")
	}
	s := &Server{log: log, metrics: newHTTPMetrics(reg), metricsHandler: MetricsHandler(reg, token, log)}
	r := mux.NewRouter()
	r.Use(recordRoute)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeError(w, r, errRouteNotFound) })
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, errMethodNotAllowed)
	})
	r.HandleFunc("/healthz", s.handleHealthz).Methods(http.MethodGet)
	r.HandleFunc("/metrics", s.handleMetrics).Methods(http.MethodGet)
	return s.observe(r)
}
