package httpapi

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPanicBecomesOpaque500(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	s := &Server{log: slog.New(slog.NewJSONHandler(&logs, nil))}
	h := s.observe(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("secret detail: db password hunter2")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/me", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d", rec.Code)
	}
	var doc map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || doc["code"] != "internal_error" {
		t.Fatalf("body %s", rec.Body)
	}
	if strings.Contains(rec.Body.String(), "hunter2") {
		t.Fatal("the panic value leaked to the client")
	}
	if !strings.Contains(logs.String(), `"msg":"panic"`) {
		t.Fatalf("the panic was not logged: %s", logs.String())
	}
}

func TestRequestIDIsEchoedOnlyWhenWellFormed(t *testing.T) {
	t.Parallel()
	if got := requestID("abc-123_x.y"); got != "abc-123_x.y" {
		t.Fatalf("well-formed id replaced: %q", got)
	}
	for _, bad := range []string{"", "has space", "<script>", strings.Repeat("a", 65), "line\nbreak"} {
		if got := requestID(bad); got == bad || len(got) != 24 {
			t.Errorf("requestID(%q) = %q, want a fresh id", bad, got)
		}
	}
}
