package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"authd/core/auth"
)

// statusOf is the one table from error kind to HTTP status.
var statusOf = map[auth.Kind]int{
	auth.KindInvalid:         http.StatusBadRequest,
	auth.KindNotFound:        http.StatusNotFound,
	auth.KindConflict:        http.StatusConflict,
	auth.KindUnauthenticated: http.StatusUnauthorized,
	auth.KindForbidden:       http.StatusForbidden,
	auth.KindRateLimited:     http.StatusTooManyRequests,
	auth.KindInternal:        http.StatusInternalServerError,
}

// Transport errors: the request itself, before any use case sees it. Their
// statuses are more precise than their kind's, so they are listed here too.
var (
	errTooLarge         = &auth.Error{Kind: auth.KindInvalid, Code: "request_too_large", Message: "The request body exceeds 64 KiB."}
	errUnsupportedMedia = &auth.Error{Kind: auth.KindInvalid, Code: "unsupported_media_type", Message: "Send the body as application/json."}
	errRouteNotFound    = &auth.Error{Kind: auth.KindNotFound, Code: "not_found", Message: "No such endpoint."}
	errMethodNotAllowed = &auth.Error{Kind: auth.KindInvalid, Code: "method_not_allowed", Message: "This method is not allowed here."}
)

var statusOfCode = map[string]int{
	errTooLarge.Code:         http.StatusRequestEntityTooLarge,
	errUnsupportedMedia.Code: http.StatusUnsupportedMediaType,
	errMethodNotAllowed.Code: http.StatusMethodNotAllowed,
}

// problem is an RFC 9457 problem document.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
}

// writeError answers err as a problem document. Errors that are not
// auth.Errors are internal: logged here, once, and never shown.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *auth.Error
	if !errors.As(err, &e) || e.Kind == auth.KindInternal {
		logger(r.Context()).ErrorContext(r.Context(), "request failed", slog.String("error", err.Error()))
		e = auth.ErrInternal
	}
	status, ok := statusOfCode[e.Code]
	if !ok {
		status = statusOf[e.Kind]
	}
	exchangeOf(r).code = e.Code // for the login metrics
	if e.RetryAfter > 0 {
		secs := int((e.RetryAfter + 999_999_999) / 1_000_000_000)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	doc := map[string]any{}
	for k, v := range e.Extra {
		doc[k] = v
	}
	p := problem{Type: "urn:authd:error:" + e.Code, Title: http.StatusText(status), Status: status,
		Detail: e.Message, Code: e.Code}
	doc["type"], doc["title"], doc["status"], doc["detail"], doc["code"] = p.Type, p.Title, p.Status, p.Detail, p.Code
	writeJSONAs(w, status, "application/problem+json", doc)
}
