package httpapi

import (
	"net/http"
)

type tokenRequest struct {
	Token string `json:"token"`
}

type changeEmailRequest struct {
	NewEmail string `json:"new_email"`
}

// handleVerifyEmail consumes a verification or email-change token. It needs
// no session: the link may be opened on another device than the one signed
// in. Only POST reaches it, so a mail scanner fetching the link (which points
// at the app anyway) consumes nothing.
func (s *Server) handleVerifyEmail(w http.ResponseWriter, r *http.Request) {
	var req tokenRequest
	if err := decode(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	u, err := s.d.Verification.Verify(r.Context(), req.Token)
	if err != nil {
		writeError(w, r, err)
		return
	}
	view, err := s.userViewOf(r.Context(), u)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, view)
}

func (s *Server) handleResendVerification(w http.ResponseWriter, r *http.Request) {
	if err := s.d.Verification.Resend(r.Context(), principalFrom(r.Context()).User.ID); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func (s *Server) handleChangeEmail(w http.ResponseWriter, r *http.Request) {
	var req changeEmailRequest
	if err := decode(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.d.Verification.ChangeEmail(r.Context(), principalFrom(r.Context()).User.ID, req.NewEmail); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}
