package httpapi

import (
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"time"

	"authd/core/auth"
	"authd/core/sso"
)

// maxACSBody caps the ACS form. The SP caps the SAMLResponse value itself
// (256 KiB of base64); form encoding adds a little, and nothing else in the
// form is large.
const maxACSBody = 512 << 10

// ssoServed answers 404 when the server was built without SSO (tests of
// other capabilities do), so that the route table is the same either way.
func (s *Server) ssoServed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.d.SSO == nil {
			writeError(w, r, errRouteNotFound)
			return
		}
		next(w, r)
	}
}

// bindingCookie is the cookie that binds a pending AuthnRequest to the
// browser that started it. The IdP returns the browser with a cross-site POST,
// on which a Lax cookie is not sent: on https it is SameSite=None (which
// browsers accept only when Secure) and __Host- prefixed. On plain http, a
// development setup, None is refused without Secure, so it is Lax: an IdP on
// the same host is same-site (ports do not count), and that is the one that
// works there.
func (s *Server) bindingCookie(value string, maxAge time.Duration) *http.Cookie {
	c := &http.Cookie{Name: "authd_saml", Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}
	if s.secure {
		c.Name, c.Secure, c.SameSite = "__Host-authd_saml", true, http.SameSiteNoneMode
	}
	if maxAge > 0 {
		c.MaxAge = int(maxAge / time.Second)
		c.Expires = time.Now().Add(maxAge)
	} else {
		c.MaxAge, c.Expires = -1, time.Unix(0, 0)
	}
	return c
}

func (s *Server) bindingFrom(r *http.Request) string {
	if c, err := r.Cookie(s.bindingCookie("", 0).Name); err == nil {
		return c.Value
	}
	return ""
}

// redirectToIdP sets the binding cookie and sends the browser on.
func (s *Server) redirectToIdP(w http.ResponseWriter, r *http.Request, red sso.Redirect) {
	http.SetCookie(w, s.bindingCookie(red.Binding, s.d.SSO.RequestLifetime()))
	http.Redirect(w, r, red.URL, http.StatusFound)
}

func (s *Server) handleSAMLMetadata(w http.ResponseWriter, r *http.Request) {
	md, err := s.d.SSO.Metadata()
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(md)
}

type discoverRequest struct {
	Email string `json:"email"`
}

type discoverResponse struct {
	SSO      bool   `json:"sso"`
	LoginURL string `json:"login_url,omitempty"`
	// Required: password sign-in is refused for this domain.
	Required bool `json:"required,omitempty"`
}

func (s *Server) handleSSODiscover(w http.ResponseWriter, r *http.Request) {
	var req discoverRequest
	if err := decode(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	d, err := s.d.SSO.Discover(r.Context(), req.Email)
	if err != nil {
		writeError(w, r, err)
		return
	}
	resp := discoverResponse{SSO: d.SSO, Required: d.Enforced}
	if d.SSO {
		resp.LoginURL = s.publicURL + "/v1/sso/saml/login?" + url.Values{"domain": {d.Domain}}.Encode()
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) handleSSOLogin(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	red, err := s.d.SSO.StartLogin(r.Context(), sso.LoginStart{Email: q.Get("email"), Domain: q.Get("domain"),
		ReturnTo: q.Get("return_to"), Binding: s.bindingFrom(r)})
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.redirectToIdP(w, r, red)
}

// handleStepUpSAML sends an SSO user back to their IdP with ForceAuthn. It
// needs the session cookie: the ACS rotates the session's token and can hand
// the new one only to a browser, so a Bearer client would lose its session.
func (s *Server) handleStepUpSAML(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	if !p.ViaCookie {
		writeError(w, r, auth.ErrInvalidRequest.WithMessage("SAML step-up runs in a browser signed in with the session cookie."))
		return
	}
	red, err := s.d.SSO.StartStepUp(r.Context(), p.Session, r.URL.Query().Get("return_to"), s.bindingFrom(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.redirectToIdP(w, r, red)
}

// handleSAMLACS takes the IdP's HTTP-POST response. The cross-origin check
// does not apply here (see crossOrigin); the binding cookie, sent on this
// cross-site POST because it is SameSite=None, ties the response to the
// browser that started the login. The cookie is spent either way.
func (s *Server) handleSAMLACS(w http.ResponseWriter, r *http.Request) {
	binding := s.bindingFrom(r)
	http.SetCookie(w, s.bindingCookie("", 0))
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		s.acsFailed(w, r, auth.ErrSAMLRejected.WithExtra("reason", "malformed"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxACSBody)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		reason := "malformed"
		if errors.As(err, &tooLarge) {
			reason = "too_large"
		}
		s.acsFailed(w, r, auth.ErrSAMLRejected.WithExtra("reason", reason))
		return
	}
	out, err := s.d.SSO.Complete(r.Context(), sso.ACSInput{SAMLResponse: r.PostForm.Get("SAMLResponse"),
		RelayState: r.PostForm.Get("RelayState"), Binding: binding, Client: s.client(r)})
	if err != nil {
		s.acsFailed(w, r, err)
		return
	}
	if out.StepUp {
		setLoginOutcome(r, notALogin)
	}
	s.setSessionCookie(w, out.Session)
	http.Redirect(w, r, out.ReturnTo, http.StatusSeeOther)
}

// acsFailed answers a failed ACS request. A refused response is a security
// event an operator wants to see (an attack, or a misconfigured IdP), so it
// is logged with its reason, and only that.
func (s *Server) acsFailed(w http.ResponseWriter, r *http.Request, err error) {
	var ae *auth.Error
	if errors.As(err, &ae) && errors.Is(err, auth.ErrSAMLRejected) {
		logger(r.Context()).WarnContext(r.Context(), "saml response rejected", slog.Any("reason", ae.Extra["reason"]))
	}
	writeError(w, r, err)
}
