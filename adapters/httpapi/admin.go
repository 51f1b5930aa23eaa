package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"authd/core/auth"
)

// requireAdmin lets through only requests bearing the admin token. With no
// token configured the admin API is off and its routes answer 404, so a
// deployment without one does not even advertise it. The token is compared
// through SHA-256 in constant time: neither its bytes nor its length leak
// through timing.
func (s *Server) requireAdmin(next http.HandlerFunc) http.HandlerFunc {
	want := sha256.Sum256([]byte(s.adminToken))
	return func(w http.ResponseWriter, r *http.Request) {
		if s.adminToken == "" {
			writeError(w, r, errRouteNotFound)
			return
		}
		scheme, cred, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		got := sha256.Sum256([]byte(strings.TrimSpace(cred)))
		if !ok || !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			writeError(w, r, auth.ErrUnauthenticated.WithMessage("Use Authorization: Bearer <admin token>."))
			return
		}
		next(w, r)
	}
}
