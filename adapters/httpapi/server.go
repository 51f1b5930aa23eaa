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

	"authd/adapters/httpapi/clientip"
	"authd/core/accounts"
	"authd/core/session"
)

// Deps are the core services the handlers drive.
type Deps struct {
	Accounts *accounts.Service
	Sessions *session.Service
	// Ready reports whether the service can serve: database reachable, schema
	// current.
	Ready  func(ctx context.Context) error
	Logger *slog.Logger
}

// Config is what the API needs to know about where it runs.
type Config struct {
	PublicURL      *url.URL
	TrustedProxies []netip.Prefix
}

// Server is the HTTP API.
type Server struct {
	d          Deps
	log        *slog.Logger
	ip         *clientip.Resolver
	secure     bool
	cookieName string
	handler    http.Handler
}

// NewServer builds the API; it panics on missing dependencies.
func NewServer(d Deps, cfg Config) *Server {
	if d.Accounts == nil || d.Sessions == nil || d.Ready == nil || d.Logger == nil || cfg.PublicURL == nil {
		panic("httpapi: nil dependency")
	}
	s := &Server{d: d, log: d.Logger, ip: clientip.New(cfg.TrustedProxies)}
	// Browsers accept a __Host- cookie only when it is Secure, host-only and
	// Path=/, which is what makes the prefix worth having on https.
	s.secure = cfg.PublicURL.Scheme == "https"
	s.cookieName = "authd_session"
	if s.secure {
		s.cookieName = "__Host-authd_session"
	}
	s.handler = s.observe(s.crossOrigin(s.routes()))
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }
