package httpapi

import (
	"net/http"
	"time"

	"authd/core/stepup"
)

type stepUpRequest struct {
	Password     string `json:"password"`
	TOTPCode     string `json:"totp_code"`
	RecoveryCode string `json:"recovery_code"`
}

type stepUpResponse struct {
	ElevatedUntil time.Time `json:"elevated_until"`
	// SessionToken is the rotated token, for Bearer clients: the one they
	// sent stopped working with the step-up.
	SessionToken string `json:"session_token,omitempty"`
}

// handleStepUp re-authenticates the current session. The session's token is
// rotated: a browser gets the new cookie, a Bearer client the new token in
// the body.
func (s *Server) handleStepUp(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	var req stepUpRequest
	if err := decode(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	el, err := s.d.StepUp.StepUp(r.Context(), p.Session, p.User,
		stepup.Proof{Password: req.Password, TOTPCode: req.TOTPCode, RecoveryCode: req.RecoveryCode})
	if err != nil {
		writeError(w, r, err)
		return
	}
	resp := stepUpResponse{ElevatedUntil: el.Until.UTC()}
	if p.ViaCookie {
		s.setSessionCookie(w, el.Session)
	} else {
		resp.SessionToken = el.Session.Token
	}
	writeJSON(w, http.StatusOK, resp)
}
