package httpapi

import (
	"net/http"
)

type totpEnrollResponse struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
}

func (s *Server) handleTOTPEnroll(w http.ResponseWriter, r *http.Request) {
	e, err := s.d.MFA.Enroll(r.Context(), principalFrom(r.Context()).User)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, totpEnrollResponse{Secret: e.Secret, OTPAuthURL: e.URL})
}

type codeRequest struct {
	Code string `json:"code"`
}

type recoveryCodesResponse struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

func (s *Server) handleTOTPConfirm(w http.ResponseWriter, r *http.Request) {
	var req codeRequest
	if err := decode(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	codes, err := s.d.MFA.Confirm(r.Context(), principalFrom(r.Context()).User.ID, req.Code)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, recoveryCodesResponse{RecoveryCodes: codes})
}

func (s *Server) handleTOTPDisable(w http.ResponseWriter, r *http.Request) {
	if err := s.d.MFA.Disable(r.Context(), principalFrom(r.Context()).User.ID); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// mfaRequiredResponse is POST /v1/login's answer for a user with a second
// factor: the password was right, and the mfa_token completes the login.
type mfaRequiredResponse struct {
	MFARequired bool   `json:"mfa_required"`
	MFAToken    string `json:"mfa_token"`
}

type loginMFARequest struct {
	MFAToken    string `json:"mfa_token"`
	Code        string `json:"code"`
	ReturnToken bool   `json:"return_token"`
}

func (s *Server) handleLoginMFA(w http.ResponseWriter, r *http.Request) {
	var req loginMFARequest
	if err := decode(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	u, issued, err := s.d.MFA.CompleteLogin(r.Context(), req.MFAToken, req.Code, s.client(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	view := newUserView(u)
	view.MFA.TOTP = true // it just answered a code
	s.signedInAs(w, http.StatusOK, view, issued, req.ReturnToken)
}
