package httpapi

import (
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"authd/core/auth"
)

type deletionScheduledResponse struct {
	ExecuteAt time.Time `json:"execute_at"`
}

// errDeletionPendingGate answers every authenticated route but a few while
// the account awaits deletion: the code of the 409 a second request gets,
// with 403, since here it is the route that is refused, not a conflict.
var errDeletionPendingGate = &auth.Error{Kind: auth.KindForbidden, Code: auth.ErrDeletionPending.Code,
	Message: "The account is scheduled for deletion: you may read it, cancel the deletion or sign out."}

// allowedWhileDeletionPending are the routes, by method and template, that a
// user whose account awaits deletion may still use. Every other
// authenticated route answers 403 deletion_pending, the routes added later
// included: the list is of exceptions, so a new route is closed by default.
// POST /v1/account/deletion is let through to answer its own 409.
var allowedWhileDeletionPending = map[string]bool{
	"GET /v1/me":                  true,
	"POST /v1/logout":             true,
	"DELETE /v1/account/deletion": true,
	"POST /v1/account/deletion":   true,
}

// deletionGate returns errDeletionPendingGate when u's deletion is pending
// and r's route is not one of the exceptions. It reads only u, which the
// session lookup filled: no query of its own.
func deletionGate(r *http.Request, u auth.User) error {
	if u.DeletionAt == nil {
		return nil
	}
	route := mux.CurrentRoute(r)
	if route != nil {
		if tmpl, err := route.GetPathTemplate(); err == nil && allowedWhileDeletionPending[r.Method+" "+tmpl] {
			return nil
		}
	}
	return errDeletionPendingGate
}

// handleRequestDeletion schedules the account's deletion after the grace
// period; the caller's session stays, every other one is revoked.
func (s *Server) handleRequestDeletion(w http.ResponseWriter, r *http.Request) {
	if s.d.Deletion == nil {
		writeError(w, r, errRouteNotFound)
		return
	}
	p := principalFrom(r.Context())
	req, err := s.d.Deletion.Request(r.Context(), p.User.ID, p.Session.ID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, deletionScheduledResponse{ExecuteAt: req.ExecuteAt.UTC()})
}

// handleCancelDeletion cancels the pending deletion; 404 when none is.
func (s *Server) handleCancelDeletion(w http.ResponseWriter, r *http.Request) {
	if s.d.Deletion == nil {
		writeError(w, r, errRouteNotFound)
		return
	}
	if err := s.d.Deletion.Cancel(r.Context(), principalFrom(r.Context()).User.ID); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleAdminDeleteUser deletes an account at once, through the same job as
// a user's request. An id that is not a UUID names no user: 404 like any.
func (s *Server) handleAdminDeleteUser(w http.ResponseWriter, r *http.Request) {
	if s.d.Deletion == nil {
		writeError(w, r, errRouteNotFound)
		return
	}
	id, err := uuid.Parse(mux.Vars(r)["id"])
	if err != nil {
		writeError(w, r, auth.ErrNotFound)
		return
	}
	req, err := s.d.Deletion.DeleteNow(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, deletionScheduledResponse{ExecuteAt: req.ExecuteAt.UTC()})
}
