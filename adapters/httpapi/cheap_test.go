package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/mux"
)

func TestCheapInFlightLeavesOutHashingRoutes(t *testing.T) {
	t.Parallel()
	s := &Server{}
	var seen int64
	r := mux.NewRouter()
	r.Use(recordRoute, s.countCheap)
	record := func(http.ResponseWriter, *http.Request) { seen = s.CheapInFlight() }
	r.HandleFunc("/v1/login", record)
	r.HandleFunc("/v1/session/check", record)
	for path, want := range map[string]int64{"/v1/login": 0, "/v1/session/check": 1} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req = req.WithContext(context.WithValue(req.Context(), exchangeKey, &exchange{}))
		r.ServeHTTP(httptest.NewRecorder(), req)
		if seen != want {
			t.Errorf("%s: %d cheap requests in flight while serving it, want %d", path, seen, want)
		}
	}
	if n := s.CheapInFlight(); n != 0 {
		t.Fatalf("%d still counted after the requests ended", n)
	}
}
