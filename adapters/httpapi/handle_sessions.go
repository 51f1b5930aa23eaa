package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"authd/core/auth"
	"authd/core/session"
)

// deviceSessionView is one entry of GET /v1/sessions.
type deviceSessionView struct {
	ID         string `json:"id"`
	Current    bool   `json:"current"`
	DeviceName string `json:"device_name"`
	Browser    string `json:"browser"`
	OS         string `json:"os"`
	DeviceType string `json:"device_type"`
	// IP is null when the address was unknown.
	IP           *string   `json:"ip"`
	AuthMethod   string    `json:"auth_method"`
	AMR          []string  `json:"amr"`
	AAL          string    `json:"aal"`
	CreatedAt    time.Time `json:"created_at"`
	LastActiveAt time.Time `json:"last_active_at"`
	ExpiresAt    time.Time `json:"expires_at"`
}

func newDeviceSessionView(s auth.Session, current uuid.UUID) deviceSessionView {
	v := deviceSessionView{ID: s.ID.String(), Current: s.ID == current, IP: ipPtr(s.IP), DeviceName: s.Device.Name,
		Browser: s.Device.Browser, OS: s.Device.OS, DeviceType: s.Device.Type, AuthMethod: s.AuthMethod,
		AMR: s.AMR, AAL: s.AAL(), CreatedAt: s.CreatedAt.UTC(), LastActiveAt: s.LastActiveAt.UTC(), ExpiresAt: s.ExpiresAt.UTC()}
	if v.AMR == nil {
		v.AMR = []string{}
	}
	return v
}

type sessionListResponse struct {
	Sessions []deviceSessionView `json:"sessions"`
}

func (s *Server) handleListSessions(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	list, err := s.d.Sessions.List(r.Context(), p.User.ID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	resp := sessionListResponse{Sessions: make([]deviceSessionView, 0, len(list))}
	for _, sess := range list {
		resp.Sessions = append(resp.Sessions, newDeviceSessionView(sess, p.Session.ID))
	}
	writeJSON(w, http.StatusOK, resp)
}

// handleRevokeSession ends one of the caller's sessions. An id that is not a
// UUID names no session of theirs either, so it is 404 like any other.
func (s *Server) handleRevokeSession(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	id, err := uuid.Parse(mux.Vars(r)["id"])
	if err != nil {
		writeError(w, r, auth.ErrNotFound)
		return
	}
	if err := s.d.Sessions.Revoke(r.Context(), p.User.ID, id); err != nil {
		writeError(w, r, err)
		return
	}
	if id == p.Session.ID && p.ViaCookie {
		s.clearCookie(w) // revoking the current session is a logout
	}
	w.WriteHeader(http.StatusNoContent)
}

type revokedResponse struct {
	Revoked int `json:"revoked"`
}

func (s *Server) handleRevokeOtherSessions(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	n, err := s.d.Sessions.RevokeOthers(r.Context(), p.User.ID, p.Session.ID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, revokedResponse{Revoked: n})
}

// handleSessionCheck is the forward-auth endpoint (nginx auth_request,
// Traefik ForwardAuth): 200 with who the caller is in headers the proxy
// copies upstream, or the error status the proxy passes on. Each require
// value (repeated, or comma-separated) narrows it; an unknown one is a
// proxy misconfiguration, refused rather than ignored so it cannot silently
// let everyone through.
func (s *Server) handleSessionCheck(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	// Most checks ask for nothing more: no query to parse on every request.
	if r.URL.RawQuery != "" {
		if err := s.checkRequirements(r, p); err != nil {
			writeError(w, r, err)
			return
		}
	}
	h := w.Header()
	h.Set("X-User-Id", p.User.ID.String())
	h.Set("X-User-Email", p.User.Email)
	h.Set("X-Email-Verified", strconv.FormatBool(p.User.EmailVerified))
	h.Set("X-Session-Id", p.Session.ID.String())
	h.Set("X-Auth-Method", p.Session.AuthMethod)
	h.Set("X-AAL", p.Session.AAL())
	h.Set("X-AMR", strings.Join(p.Session.AMR, ","))
	w.WriteHeader(http.StatusOK)
}

// checkRequirements enforces the check's ?require= list (comma-separated,
// repeatable): verified, recent_auth.
func (s *Server) checkRequirements(r *http.Request, p principal) error {
	for _, value := range r.URL.Query()["require"] {
		for _, req := range strings.Split(value, ",") {
			switch req {
			case "verified":
				if !p.User.EmailVerified {
					return auth.ErrEmailUnverified
				}
			case "recent_auth":
				if err := s.d.StepUp.Require(r.Context(), p.Session, p.User); err != nil {
					return err
				}
			default:
				return auth.ErrInvalidRequest.WithMessage("require must be verified or recent_auth.")
			}
		}
	}
	return nil
}

// replacesSession wraps the sign-in routes. A request that arrives carrying
// a live session (cookie or Bearer) has that session revoked by the sign-in
// it makes, in the same transaction: a token planted in the browser before
// login (session fixation) never survives the login, and a failed login
// leaves the old session alone. A malformed or dead credential is ignored
// here: there is nothing to replace, and the sign-in itself decides.
func (s *Server) replacesSession(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if token, _, err := s.sessionToken(r); err == nil {
			if old, _, err := s.d.Sessions.Authenticate(r.Context(), token); err == nil {
				r = r.WithContext(session.Replacing(r.Context(), old))
			}
		}
		next(w, r)
	}
}
