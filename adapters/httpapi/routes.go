package httpapi

import (
	"net/http"

	"github.com/gorilla/mux"

	"authd/core/throttle"
)

// routes is the whole HTTP surface.
func (s *Server) routes() *mux.Router {
	r := mux.NewRouter()
	r.Use(recordRoute, s.withClient, s.countCheap)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		// gorilla/mux v1.8.1 answers 404 instead of 405 once a subrouter
		// has a route after the one whose method differs (gorilla/mux#739).
		if servedWithAnotherMethod(r, req) {
			writeError(w, req, errMethodNotAllowed)
			return
		}
		writeError(w, req, errRouteNotFound)
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeError(w, r, errMethodNotAllowed) })

	// Forward auth for reverse proxies, called for every request of the apps
	// behind them: registered first, since mux tries routes in order. A GET,
	// so cookies pass the cross-origin check whatever page the proxied
	// request came from.
	r.HandleFunc("/v1/session/check", s.authenticated(s.handleSessionCheck)).Methods(http.MethodGet)
	r.HandleFunc("/healthz", s.handleHealthz).Methods(http.MethodGet)
	r.HandleFunc("/readyz", s.handleReadyz).Methods(http.MethodGet)
	// Prometheus metrics; behind a bearer token when AUTHD_METRICS_TOKEN is set.
	r.HandleFunc("/metrics", s.handleMetrics).Methods(http.MethodGet)

	v1 := r.PathPrefix("/v1").Subrouter()
	// Per-IP limits wrap the routes that guess, create or send (limited).
	v1.HandleFunc("/signup", s.limited(throttle.LimitSignup, s.replacesSession(s.handleSignup))).Methods(http.MethodPost)
	v1.HandleFunc("/login", s.limited(throttle.LimitLogin, s.replacesSession(s.handleLogin))).Methods(http.MethodPost)
	v1.HandleFunc("/logout", s.authenticated(s.handleLogout)).Methods(http.MethodPost)
	v1.HandleFunc("/me", s.authenticated(s.handleMe)).Methods(http.MethodGet)
	v1.HandleFunc("/login/mfa", s.limited(throttle.LimitLogin, s.replacesSession(s.handleLoginMFA))).Methods(http.MethodPost)
	v1.HandleFunc("/step-up", s.limited(throttle.LimitStepUp, s.authenticated(s.handleStepUp))).Methods(http.MethodPost)
	v1.HandleFunc("/mfa/totp/enroll", s.authenticated(s.requireVerified(s.requireRecentAuth(s.handleTOTPEnroll)))).
		Methods(http.MethodPost)
	v1.HandleFunc("/mfa/totp/confirm", s.authenticated(s.handleTOTPConfirm)).Methods(http.MethodPost)
	v1.HandleFunc("/mfa/totp", s.authenticated(s.requireRecentAuth(s.handleTOTPDisable))).Methods(http.MethodDelete)
	v1.HandleFunc("/sessions", s.authenticated(s.handleListSessions)).Methods(http.MethodGet)
	v1.HandleFunc("/sessions/revoke-others", s.authenticated(s.handleRevokeOtherSessions)).Methods(http.MethodPost)
	v1.HandleFunc("/sessions/{id}", s.authenticated(s.handleRevokeSession)).Methods(http.MethodDelete)
	// Tokens are taken by POST only: a GET of an emailed link never uses one.
	v1.HandleFunc("/email/verify", s.handleVerifyEmail).Methods(http.MethodPost)
	v1.HandleFunc("/email/verify/resend", s.limited(throttle.LimitResend, s.authenticated(s.handleResendVerification))).
		Methods(http.MethodPost)
	v1.HandleFunc("/email/change", s.authenticated(s.requireRecentAuth(s.handleChangeEmail))).Methods(http.MethodPost)
	v1.HandleFunc("/password/forgot", s.handleForgotPassword).Methods(http.MethodPost)
	v1.HandleFunc("/password/reset", s.handleResetPassword).Methods(http.MethodPost)
	v1.HandleFunc("/password/change", s.authenticated(s.requireRecentAuth(s.handleChangePassword))).Methods(http.MethodPost)
	// Deletion, export and activity; answered 404 by a server built without
	// them. While a deletion is pending, authenticated answers 403
	// deletion_pending on every route but those allowedWhileDeletionPending lists.
	v1.HandleFunc("/account/deletion", s.authenticated(s.requireRecentAuth(s.handleRequestDeletion))).Methods(http.MethodPost)
	v1.HandleFunc("/account/deletion", s.authenticated(s.handleCancelDeletion)).Methods(http.MethodDelete)
	v1.HandleFunc("/account/export", s.authenticated(s.requireRecentAuth(s.handleExport))).Methods(http.MethodGet)
	v1.HandleFunc("/account/activity", s.authenticated(s.handleActivity)).Methods(http.MethodGet)
	v1.HandleFunc("/admin/users/{id}", s.requireAdmin(s.handleAdminDeleteUser)).Methods(http.MethodDelete)
	// SAML single sign-on; answered 404 by a server built without SSO.
	v1.HandleFunc("/saml/metadata", s.ssoServed(s.handleSAMLMetadata)).Methods(http.MethodGet)
	// Exempt from the cross-origin check (see crossOrigin); a sign-in, so a
	// session the browser still carries is replaced.
	v1.HandleFunc("/saml/acs", s.ssoServed(s.replacesSession(s.handleSAMLACS))).Methods(http.MethodPost)
	v1.HandleFunc("/sso/discover", s.ssoServed(s.handleSSODiscover)).Methods(http.MethodPost)
	v1.HandleFunc("/sso/saml/login", s.ssoServed(s.handleSSOLogin)).Methods(http.MethodGet)
	v1.HandleFunc("/step-up/saml", s.ssoServed(s.authenticated(s.handleStepUpSAML))).Methods(http.MethodGet)
	v1.HandleFunc("/admin/saml/providers", s.ssoServed(s.requireAdmin(s.handleCreateProvider))).Methods(http.MethodPost)
	v1.HandleFunc("/admin/saml/providers", s.ssoServed(s.requireAdmin(s.handleListProviders))).Methods(http.MethodGet)
	v1.HandleFunc("/admin/saml/providers/{id}", s.ssoServed(s.requireAdmin(s.handleGetProvider))).Methods(http.MethodGet)
	v1.HandleFunc("/admin/saml/providers/{id}", s.ssoServed(s.requireAdmin(s.handleUpdateProvider))).Methods(http.MethodPatch)
	v1.HandleFunc("/admin/saml/providers/{id}", s.ssoServed(s.requireAdmin(s.handleDeleteProvider))).Methods(http.MethodDelete)
	return r
}

// servedWithAnotherMethod reports whether a route serves req's path with
// another method. It runs only on the way to a 404.
func servedWithAnotherMethod(router *mux.Router, req *http.Request) bool {
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == req.Method {
			continue
		}
		probe := req.Clone(req.Context())
		probe.Method = m
		var match mux.RouteMatch
		if router.Match(probe, &match) && match.MatchErr == nil {
			return true
		}
	}
	return false
}
