package httpapi

import (
	"errors"
	"net/http"

	"authd/core/accounts"
	"authd/core/auth"
)

type credentialsRequest struct {
	Email       string `json:"email"`
	Password    string `json:"password"`
	ReturnToken bool   `json:"return_token"`
}

type signedInResponse struct {
	User    userView    `json:"user"`
	Session sessionView `json:"session"`
}

func (s *Server) client(r *http.Request) auth.Client {
	return auth.Client{IP: s.ip.ClientIP(r), UserAgent: r.UserAgent()}
}

// signedIn answers a login or signup: the cookie for browsers, or the token
// in the body when the client asked for it (and then no cookie).
func (s *Server) signedIn(w http.ResponseWriter, status int, u auth.User, issued auth.IssuedSession, returnToken bool) {
	s.signedInAs(w, status, newUserView(u), issued, returnToken)
}

// signedInAs is signedIn with a user view the caller completed.
func (s *Server) signedInAs(w http.ResponseWriter, status int, user userView, issued auth.IssuedSession, returnToken bool) {
	view := sessionView{ID: issued.Session.ID.String(), ExpiresAt: issued.Session.ExpiresAt.UTC()}
	if returnToken {
		view.SessionToken = issued.Token
	} else {
		s.setSessionCookie(w, issued)
	}
	writeJSON(w, status, signedInResponse{User: user, Session: view})
}

func (s *Server) handleSignup(w http.ResponseWriter, r *http.Request) {
	var req credentialsRequest
	if err := decode(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	u, issued, err := s.d.Accounts.Signup(r.Context(), req.Email, req.Password, s.client(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.signedIn(w, http.StatusCreated, u, issued, req.ReturnToken)
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req credentialsRequest
	if err := decode(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	u, issued, err := s.d.Accounts.Login(r.Context(), req.Email, req.Password, s.client(r))
	var mfaRequired *accounts.MFARequiredError
	if errors.As(err, &mfaRequired) {
		setLoginOutcome(r, "mfa_required")
		writeJSON(w, http.StatusOK, mfaRequiredResponse{MFARequired: true, MFAToken: mfaRequired.Token})
		return
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.signedIn(w, http.StatusOK, u, issued, req.ReturnToken)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	if err := s.d.Sessions.Logout(r.Context(), p.Session); err != nil {
		writeError(w, r, err)
		return
	}
	if p.ViaCookie {
		s.clearCookie(w)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	view, err := s.userViewOf(r.Context(), principalFrom(r.Context()).User)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, view)
}
