package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gorilla/mux"
)

type ctxKey int

const (
	principalKey ctxKey = iota
	exchangeKey
)

// recordRoute is router middleware: it tells observe, which runs outside the
// router, which route template matched.
func recordRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := mux.CurrentRoute(r); m != nil {
			if tmpl, err := m.GetPathTemplate(); err == nil {
				exchangeOf(r).route = tmpl
			}
		}
		next.ServeHTTP(w, r)
	})
}

// logger returns the request's logger, which carries its request ID.
func logger(ctx context.Context) *slog.Logger {
	if x, ok := ctx.Value(exchangeKey).(*exchange); ok && x.log != nil {
		return x.log.With(slog.String("request_id", x.requestID))
	}
	return slog.Default()
}

// statusRecorder remembers the status for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// requestID takes a well-formed X-Request-Id from the caller (a proxy's) or
// makes one, echoes it, and binds it to the request's logger.
func requestID(id string) string {
	if len(id) > 0 && len(id) <= 64 {
		ok := true
		for _, c := range id {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
				ok = false
				break
			}
		}
		if ok {
			return id
		}
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// observe is the outermost middleware: request ID, access log, metrics,
// panic recovery and the headers every response carries. The log line and
// the metrics name the route template, never the raw URL, so nothing a
// client put in a path or query string reaches the logs, and the metrics
// keep one series per route however many paths are tried ("unmatched" for
// those no route serves).
// securityHeaders go on every response. Their keys are canonical and their
// values shared and never modified, so setting them costs no allocation on a
// path that runs for every request.
var securityHeaders = http.Header{
	"X-Content-Type-Options":  {"nosniff"},
	"Referrer-Policy":         {"no-referrer"},
	"Content-Security-Policy": {"default-src 'none'; frame-ancestors 'none'"},
	"X-Frame-Options":         {"DENY"},
	"Cache-Control":           {"no-store"},
}

func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := requestID(r.Header.Get("X-Request-Id"))
		x := &exchange{route: "unmatched", log: s.log, requestID: id}
		r = r.WithContext(context.WithValue(r.Context(), exchangeKey, x))
		h := w.Header()
		h.Set("X-Request-Id", id)
		for k, v := range securityHeaders {
			h[k] = v
		}
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				logger(r.Context()).ErrorContext(r.Context(), "panic", slog.Any("panic", p),
					slog.String("stack", string(debug.Stack())))
				if rec.status == 0 {
					writeError(rec, r, errPanic)
				}
			}
			if rec.status == 0 {
				rec.status = http.StatusOK // what net/http sends for a handler that wrote nothing
			}
			elapsed := time.Since(start)
			s.metrics.observe(x, r.Method, rec.status, elapsed)
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("request_id", id),
				slog.String("method", r.Method), slog.String("route", x.route), slog.Int("status", rec.status),
				slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000))
		}()
		next.ServeHTTP(rec, r)
	})
}

// errPanic is internal by kind, so writeError shows nothing of it.
var errPanic = errInternal("handler panicked")

type errInternal string

func (e errInternal) Error() string { return string(e) }
