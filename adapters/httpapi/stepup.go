package httpapi

import (
	"net/http"

	"github.com/google/uuid"

	"authd/core/auth"
)

// requireRecentAuth guards a sensitive route: the session must have
// authenticated (logged in or stepped up) within the step-up window, or the
// answer is 403 step_up_required with the `methods` this user can use and
// `max_age_seconds`. It goes inside authenticated:
//
//	s.authenticated(s.requireRecentAuth(s.handleX))
//
// and fails closed, 401, if it finds no principal.
func (s *Server) requireRecentAuth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := principalFrom(r.Context())
		if p.Session.ID == uuid.Nil {
			writeError(w, r, auth.ErrUnauthenticated)
			return
		}
		if err := s.d.StepUp.Require(r.Context(), p.Session, p.User); err != nil {
			writeError(w, r, err)
			return
		}
		next(w, r)
	}
}

// requireVerified guards a route that needs a verified address: 403
// email_unverified otherwise. It goes inside authenticated and fails closed.
func (s *Server) requireVerified(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := principalFrom(r.Context())
		if p.Session.ID == uuid.Nil {
			writeError(w, r, auth.ErrUnauthenticated)
			return
		}
		if !p.User.EmailVerified {
			writeError(w, r, auth.ErrEmailUnverified)
			return
		}
		next(w, r)
	}
}
