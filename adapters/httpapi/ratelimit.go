package httpapi

import (
	"net/http"
)

// limited is route middleware: it counts the request against the client
// IP's limit of its kind (throttle.LimitLogin...) and answers 429
// rate_limited with Retry-After once the limit is spent, before anything
// else happens. Every request that reaches the route counts, malformed ones
// included: a client probing with junk costs a request like any other, and
// counting before the body is read keeps the refusal cheap. The client IP is
// the one the server resolves (forwarded headers only from trusted proxies).
// Without a throttle (Deps.Throttle nil) nothing is limited.
func (s *Server) limited(kind string, next http.HandlerFunc) http.HandlerFunc {
	if s.d.Throttle == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if err := s.d.Throttle.Allow(r.Context(), kind, s.client(r).IP); err != nil {
			writeError(w, r, err)
			return
		}
		next(w, r)
	}
}
