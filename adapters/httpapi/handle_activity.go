package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"authd/core/auth"
	"authd/ports"
)

// withClient is router middleware: it puts where the request comes from in
// its context (auth.WithClient), for the security events the core records.
func (s *Server) withClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(auth.WithClient(r.Context(), s.client(r))))
	})
}

// eventView is one security event as the user sees it.
type eventView struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// IP is null when the address was unknown.
	IP         *string           `json:"ip"`
	DeviceName string            `json:"device_name"`
	CreatedAt  time.Time         `json:"created_at"`
	Detail     map[string]string `json:"detail"`
}

func newEventView(e ports.SecurityEvent) eventView {
	v := eventView{ID: e.ID.String(), Kind: string(e.Kind), IP: ipPtr(e.IP), DeviceName: e.DeviceName,
		CreatedAt: e.CreatedAt.UTC(), Detail: e.Detail}
	if v.Detail == nil {
		v.Detail = map[string]string{}
	}
	return v
}

type activityResponse struct {
	Events []eventView `json:"events"`
}

// handleActivity lists the caller's recent security events, newest first;
// ?limit= (1 to 200) changes how many, 50 by default.
func (s *Server) handleActivity(w http.ResponseWriter, r *http.Request) {
	if s.d.Activity == nil {
		writeError(w, r, errRouteNotFound)
		return
	}
	limit := 0
	if raw := r.URL.Query().Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			writeError(w, r, auth.ErrInvalidRequest.WithMessage("limit must be a whole number from 1 to 200."))
			return
		}
		limit = n
	}
	events, err := s.d.Activity.Recent(r.Context(), principalFrom(r.Context()).User.ID, limit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	resp := activityResponse{Events: make([]eventView, 0, len(events))}
	for _, e := range events {
		resp.Events = append(resp.Events, newEventView(e))
	}
	writeJSON(w, http.StatusOK, resp)
}
