package httpapi

import (
	"net/http"
)

type forgotPasswordRequest struct {
	Email string `json:"email"`
}

type resetPasswordRequest struct {
	Token       string `json:"token"`
	NewPassword string `json:"new_password"`
}

type changePasswordRequest struct {
	NewPassword string `json:"new_password"`
}

// handleForgotPassword answers 202 whether or not the address has an
// account; only the per-IP limit answers otherwise.
func (s *Server) handleForgotPassword(w http.ResponseWriter, r *http.Request) {
	var req forgotPasswordRequest
	if err := decode(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.d.Verification.ForgotPassword(r.Context(), req.Email, s.ip.ClientIP(r)); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// handleResetPassword sets the password and ends every session, the caller's
// included if it has one; it sets no cookie: the user signs in anew.
func (s *Server) handleResetPassword(w http.ResponseWriter, r *http.Request) {
	var req resetPasswordRequest
	if err := decode(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.d.Verification.ResetPassword(r.Context(), req.Token, req.NewPassword); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleChangePassword(w http.ResponseWriter, r *http.Request) {
	var req changePasswordRequest
	if err := decode(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	p := principalFrom(r.Context())
	if err := s.d.Verification.ChangePassword(r.Context(), p.User.ID, p.Session.ID, req.NewPassword); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
