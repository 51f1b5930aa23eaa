package httpapi

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gorilla/mux"
)

// specPath is the contract, kept at the repository root.
const specPath = "../../openapi.yaml"

// TestRoutesMatchOpenAPI fails when a route is served but not specified, or
// specified but not served, so the spec cannot drift from the router.
func TestRoutesMatchOpenAPI(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromFile(specPath)
	if err != nil {
		t.Fatalf("load %s: %v", specPath, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("%s is not a valid OpenAPI document: %v", specPath, err)
	}
	specified := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			specified[method+" "+path] = true
		}
	}
	served := map[string]bool{}
	err = (&Server{}).routes().Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := route.GetPathTemplate()
		if err != nil {
			return nil // a prefix subrouter, not an endpoint
		}
		methods, err := route.GetMethods()
		if err != nil {
			return nil
		}
		for _, m := range methods {
			served[m+" "+path] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sorted(served) {
		if !specified[r] {
			t.Errorf("served but not in openapi.yaml: %s", r)
		}
	}
	for _, r := range sorted(specified) {
		if !served[r] {
			t.Errorf("in openapi.yaml but not served: %s", r)
		}
	}
	if len(served) < 10 {
		t.Fatalf("only %d routes walked: the walk is broken", len(served))
	}
}

func sorted(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, strings.Compare)
	return out
}
