package httpapi

import "net/http"

// hashingRoutes are the routes that may run a password hash, the one
// expensive thing authd does. Every other request is cheap.
var hashingRoutes = map[string]bool{
	"/v1/signup": true, "/v1/login": true, "/v1/step-up": true,
	"/v1/password/reset": true, "/v1/password/change": true,
}

// countCheap is router middleware counting the cheap requests in flight, so
// the password hasher can leave them a core (see CheapInFlight). It runs after
// recordRoute, which has put the matched template in the exchange.
func (s *Server) countCheap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hashingRoutes[exchangeOf(r).route] {
			next.ServeHTTP(w, r)
			return
		}
		s.cheap.Add(1)
		defer s.cheap.Add(-1)
		next.ServeHTTP(w, r)
	})
}

// CheapInFlight is how many requests that hash no password are being served.
func (s *Server) CheapInFlight() int64 { return s.cheap.Load() }
