package httpapi

import (
	"net/http"

	"github.com/gorilla/mux"
)

// routes is the whole HTTP surface.
func (s *Server) routes() *mux.Router {
	r := mux.NewRouter()
	r.Use(recordRoute)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeError(w, r, errRouteNotFound) })
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeError(w, r, errMethodNotAllowed) })

	r.HandleFunc("/healthz", s.handleHealthz).Methods(http.MethodGet)
	r.HandleFunc("/readyz", s.handleReadyz).Methods(http.MethodGet)

	v1 := r.PathPrefix("/v1").Subrouter()
	v1.HandleFunc("/signup", s.handleSignup).Methods(http.MethodPost)
	v1.HandleFunc("/login", s.handleLogin).Methods(http.MethodPost)
	v1.HandleFunc("/logout", s.authenticated(s.handleLogout)).Methods(http.MethodPost)
	v1.HandleFunc("/me", s.authenticated(s.handleMe)).Methods(http.MethodGet)
	return r
}
