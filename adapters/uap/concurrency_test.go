package uap_test

import (
	"fmt"
	"sync"
	"testing"
)

func TestParseIsSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	// Smaller than the table, so goroutines evict each other's entries and
	// hits, misses and evictions all race.
	p := setup(t, 4)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range len(realAgents) {
				tc := realAgents[(g+i)%len(realAgents)]
				if got := p.Parse(tc.ua); got != tc.want {
					t.Errorf("goroutine %d: Parse(%.40q) = %#v, want %#v", g, tc.ua, got, tc.want)
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkParse(b *testing.B) {
	const ua = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
	b.Run("cached", func(b *testing.B) {
		p := setup(b, 16)
		p.Parse(ua)
		b.ReportAllocs()
		for b.Loop() {
			p.Parse(ua)
		}
	})
	b.Run("uncached", func(b *testing.B) {
		// More distinct headers than the cache holds: every Parse misses.
		agents := make([]string, 64)
		for i := range agents {
			agents[i] = fmt.Sprintf("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.%d.0 Safari/537.36", i)
		}
		p := setup(b, 1)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			p.Parse(agents[i%len(agents)])
			i++
		}
	})
}
