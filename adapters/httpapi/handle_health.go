package httpapi

import (
	"log/slog"
	"net/http"

	"authd/core/auth"
)

// handleHealthz answers while the process is up.
func (s *Server) handleHealthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

var errNotReady = &auth.Error{Kind: auth.KindInternal, Code: "not_ready", Message: "The service is not ready."}

// handleReadyz answers 200 only when the database answers and the schema is
// current, so a load balancer sends no traffic to an instance that would fail.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if err := s.d.Ready(r.Context()); err != nil {
		logger(r.Context()).WarnContext(r.Context(), "not ready", slog.String("error", err.Error()))
		w.Header().Set("Content-Type", "application/problem+json")
		writeJSONAs(w, http.StatusServiceUnavailable, "application/problem+json", problem{
			Type: "urn:authd:error:" + errNotReady.Code, Title: http.StatusText(http.StatusServiceUnavailable),
			Status: http.StatusServiceUnavailable, Detail: errNotReady.Message, Code: errNotReady.Code})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
