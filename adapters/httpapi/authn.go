package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"authd/core/auth"
)

// principal is who an authenticated request acts as.
type principal struct {
	Session   auth.Session
	User      auth.User
	ViaCookie bool
}

func principalFrom(ctx context.Context) principal {
	p, _ := ctx.Value(principalKey).(principal)
	return p
}

// sessionToken returns the request's token: the Bearer credential if there is
// an Authorization header (which then must be well formed), else the cookie.
func (s *Server) sessionToken(r *http.Request) (token string, viaCookie bool, err error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, cred, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || cred == "" {
			return "", false, auth.ErrUnauthenticated.WithMessage("Use Authorization: Bearer <session_token>.")
		}
		return strings.TrimSpace(cred), false, nil
	}
	if c, err := r.Cookie(s.cookieName); err == nil && c.Value != "" {
		return c.Value, true, nil
	}
	return "", false, auth.ErrUnauthenticated
}

// authenticated lets only requests with a live session through.
func (s *Server) authenticated(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, viaCookie, err := s.sessionToken(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		sess, user, err := s.d.Sessions.Authenticate(r.Context(), token)
		if err != nil {
			if viaCookie {
				s.clearCookie(w) // a dead cookie is no use to keep sending
			}
			writeError(w, r, err)
			return
		}
		if err := deletionGate(r, user); err != nil {
			writeError(w, r, err)
			return
		}
		ctx := context.WithValue(r.Context(), principalKey, principal{Session: sess, User: user, ViaCookie: viaCookie})
		next(w, r.WithContext(ctx))
	}
}

// crossOrigin refuses unsafe browser requests from other origins. Bearer
// requests are exempt: a browser never attaches that header on its own, so
// they cannot be forged cross-site. The SAML ACS is exempt too: the IdP posts
// it from its own origin, and its defence is the signed, browser-bound response.
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.AddInsecureBypassPattern("POST /v1/saml/acs")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			if err := cop.Check(r); err != nil {
				writeError(w, r, auth.ErrCrossOrigin)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) setSessionCookie(w http.ResponseWriter, issued auth.IssuedSession) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName, Value: issued.Token, Path: "/",
		Expires: issued.Session.ExpiresAt, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName, Value: "", Path: "/", Expires: time.Unix(0, 0), MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}
