package uap

import (
	"fmt"
	"strings"
	"testing"
)

// chrome returns a distinct real header per major version.
func chrome(major int) string {
	return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", major)
}

func TestParseCacheStaysBoundedAndConsistent(t *testing.T) {
	t.Parallel()
	p, err := New(8)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for major := 100; major < 130; major++ {
		want := fmt.Sprintf("Chrome %d on Windows", major)
		if got := p.Parse(chrome(major)).Name; got != want {
			t.Fatalf("uncached Parse: got %q, want %q", got, want)
		}
		if got := p.Parse(chrome(major)).Name; got != want {
			t.Fatalf("cached Parse: got %q, want %q", got, want)
		}
	}
	if n := p.cache.Len(); n != 8 {
		t.Fatalf("cache holds %d entries, want 8", n)
	}
	// An evicted header parses again to the same result.
	if got, want := p.Parse(chrome(100)).Name, "Chrome 100 on Windows"; got != want {
		t.Fatalf("evicted Parse: got %q, want %q", got, want)
	}
}

func TestParseCachesHeadersByTheirFirst512Bytes(t *testing.T) {
	t.Parallel()
	p, err := New(8)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	long := chrome(126) + strings.Repeat(" x", maxUserAgent)
	a, b := p.Parse(long+"a"), p.Parse(long+"b")
	if a != b {
		t.Fatalf("headers alike in 512 bytes differ: %#v and %#v", a, b)
	}
	if n := p.cache.Len(); n != 1 {
		t.Fatalf("cache holds %d entries, want 1", n)
	}
	key := p.cache.Keys()[0].(string)
	if len(key) != maxUserAgent {
		t.Fatalf("cache key is %d bytes, want %d", len(key), maxUserAgent)
	}
}
