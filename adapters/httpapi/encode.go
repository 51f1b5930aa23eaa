package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"unicode/utf8"

	"authd/core/auth"
)

const maxBody = 64 << 10

// decode reads a JSON body into dst: application/json only, at most 64 KiB,
// valid UTF-8 (encoding/json would silently replace bad bytes), no unknown
// fields, one value and nothing after it.
func decode(r *http.Request, dst any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errUnsupportedMedia
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return auth.ErrInvalidRequest.WithMessage("The request body could not be read.")
	}
	if len(body) > maxBody {
		return errTooLarge
	}
	if !utf8.Valid(body) {
		return auth.ErrInvalidRequest.WithMessage("The request body is not valid UTF-8.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return auth.ErrInvalidRequest.WithMessage("The request body is not valid JSON for this endpoint: " + jsonProblem(err))
	}
	if dec.More() {
		return auth.ErrInvalidRequest.WithMessage("The request body holds more than one JSON value.")
	}
	return nil
}

// jsonProblem describes a decoding error without echoing the input.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return "malformed JSON."
	case errors.As(err, &typ):
		return "field " + typ.Field + " has the wrong type."
	case errors.Is(err, io.EOF):
		return "the body is empty."
	}
	return err.Error() // "json: unknown field \"x\"" and the like
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONAs(w, status, "application/json", v)
}

func writeJSONAs(w http.ResponseWriter, status int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
