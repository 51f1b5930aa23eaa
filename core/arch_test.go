// Package core_test guards the architecture: the core and its ports stay free
// of infrastructure, and no capability imports another.
package core_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "authd/"

// allowedThirdParty are the only non-standard imports core and ports may use.
var allowedThirdParty = map[string]bool{"github.com/google/uuid": true}

// forbiddenStd are standard packages that are infrastructure in disguise.
var forbiddenStd = []string{"database/sql", "net/http", "net/smtp", "net/rpc", "os/exec", "syscall"}

// imports lists, per package directory under root, the imports of its
// non-test files.
func imports(t *testing.T, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			out[dir] = append(out[dir], p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCoreAndPortsImportNoInfrastructure(t *testing.T) {
	t.Parallel()
	for _, root := range []string{".", "../ports"} {
		for dir, imps := range imports(t, root) {
			for _, p := range imps {
				if problem := checkImport(p); problem != "" {
					t.Errorf("%s imports %s: %s", dir, p, problem)
				}
			}
		}
	}
}

func checkImport(p string) string {
	first := strings.SplitN(p, "/", 2)[0]
	switch {
	case strings.HasPrefix(p, module):
		if strings.HasPrefix(p, module+"adapters") || strings.HasPrefix(p, module+"cmd") {
			return "core and ports must not depend on adapters or commands"
		}
	case strings.Contains(first, "."):
		if !allowedThirdParty[p] {
			return "third-party package outside the allowed list"
		}
	default:
		for _, bad := range forbiddenStd {
			if p == bad || strings.HasPrefix(p, bad+"/") {
				return "infrastructure belongs in an adapter"
			}
		}
	}
	return ""
}

func TestCapabilitiesDoNotImportEachOther(t *testing.T) {
	t.Parallel()
	for dir, imps := range imports(t, ".") {
		own := strings.TrimPrefix(dir, "./")
		for _, p := range imps {
			other, ok := strings.CutPrefix(p, module+"core/")
			if !ok || other == "auth" || strings.HasPrefix(other, "auth/") {
				continue
			}
			if !strings.HasPrefix(other+"/", own+"/") {
				t.Errorf("core/%s imports core/%s: capabilities talk through ports, wired in cmd", own, other)
			}
		}
	}
}

func TestCheckImportCatchesInfrastructure(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"github.com/jackc/pgx/v5", "net/http", "net/http/httptest", "database/sql",
		"github.com/gorilla/mux", "authd/adapters/postgres", "github.com/riverqueue/river"} {
		if checkImport(p) == "" {
			t.Errorf("checkImport(%q) found no problem", p)
		}
	}
	for _, p := range []string{"context", "crypto/sha256", "net/netip", "github.com/google/uuid", "authd/core/auth", "authd/ports"} {
		if problem := checkImport(p); problem != "" {
			t.Errorf("checkImport(%q) = %s", p, problem)
		}
	}
}
