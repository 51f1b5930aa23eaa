// Package httpapi is authd's HTTP API on gorilla/mux: the routes of
// ../shared/API.md, problem+json errors from one table, cookie or Bearer
// sessions, and the middleware every request passes through.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"

	"authd/adapters/httpapi/clientip"
	"authd/core/accounts"
	"authd/core/activity"
	"authd/core/deletion"
	"authd/core/mfa"
	"authd/core/session"
	"authd/core/sso"
	"authd/core/stepup"
	"authd/core/throttle"
	"authd/core/verification"
)

// Deps are the core services the handlers drive.
type Deps struct {
	Accounts *accounts.Service
	Sessions *session.Service
	MFA      *mfa.Service
	StepUp   *stepup.Service
	// Verification serves email verification, password reset and change,
	// and email change.
	Verification *verification.Service
	// SSO serves SAML single sign-on and its admin API. Optional: when nil
	// those routes answer 404.
	SSO *sso.Service
	// Deletion serves account deletion, the admin's deletion and the data
	// export; Activity the security activity. Optional: when nil those
	// routes answer 404.
	Deletion *deletion.Service
	Activity *activity.Service
	// Throttle limits login, signup, resend and step-up per client IP.
	// Optional: nil limits nothing.
	Throttle *throttle.Service
	// Metrics is where the API registers its request and login metrics,
	// and what GET /metrics serves. Optional: nil counts nothing and
	// /metrics answers 404.
	Metrics MetricsRegistry
	// Ready reports whether the service can serve: database reachable, schema
	// current.
	Ready  func(ctx context.Context) error
	Logger *slog.Logger
}

// Config is what the API needs to know about where it runs.
type Config struct {
	PublicURL      *url.URL
	TrustedProxies []netip.Prefix
	// AdminToken is the bearer token of the admin API; empty turns the
	// admin API off (its routes answer 404).
	AdminToken string
	// MetricsToken, when set, is the bearer token GET /metrics requires;
	// empty leaves /metrics open.
	MetricsToken string
}

// Server is the HTTP API.
type Server struct {
	d          Deps
	log        *slog.Logger
	ip         *clientip.Resolver
	secure     bool
	cookieName string
	publicURL  string // without a trailing slash
	adminToken string
	handler    http.Handler
	// metrics is nil, and metricsHandler too, when Deps.Metrics is.
	metrics        *httpMetrics
	metricsHandler http.Handler
	// cheap counts requests in flight that hash no password.
	cheap atomic.Int64
}

// NewServer builds the API; it panics on missing dependencies.
func NewServer(d Deps, cfg Config) *Server {
	if d.Accounts == nil || d.Sessions == nil || d.MFA == nil || d.StepUp == nil || d.Ready == nil || d.Logger == nil || cfg.PublicURL == nil {
		panic("httpapi: nil dependency")
	}
	s := &Server{d: d, log: d.Logger, ip: clientip.New(cfg.TrustedProxies),
		publicURL: strings.TrimRight(cfg.PublicURL.String(), "/"), adminToken: cfg.AdminToken}
	// Browsers accept a __Host- cookie only when it is Secure, host-only and
	// Path=/, which is what makes the prefix worth having on https.
	s.secure = cfg.PublicURL.Scheme == "https"
	s.cookieName = "authd_session"
	if s.secure {
		s.cookieName = "__Host-authd_session"
	}
	if d.Metrics != nil {
		s.metrics = newHTTPMetrics(d.Metrics)
		s.metricsHandler = MetricsHandler(d.Metrics, cfg.MetricsToken, d.Logger)
	}
	s.handler = s.observe(s.crossOrigin(s.routes()))
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }
