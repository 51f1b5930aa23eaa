package argon2id

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// peakRunning hashes from 4 goroutines and reports the most hashes that ran
// at once, sampled under the hasher's lock.
func peakRunning(t *testing.T, h *Hasher) int {
	t.Helper()
	var peak int
	var stop atomic.Bool
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for !stop.Load() {
			h.mu.Lock()
			peak = max(peak, h.running)
			h.mu.Unlock()
			time.Sleep(100 * time.Microsecond)
		}
	}()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				if _, err := h.Hash("share the cores"); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	stop.Store(true)
	<-sampled
	return peak
}

func TestHasherLeavesACoreToOtherWork(t *testing.T) {
	t.Parallel()
	slow := Params{MemoryKiB: 4 * 1024, Time: 2, Threads: 1} // a few ms per hash
	t.Run("AloneItUsesEveryAllowedSlot", func(t *testing.T) {
		t.Parallel()
		h := New(slow, 2)
		h.ShareCPUWith(func() bool { return false })
		if got := peakRunning(t, h); got != 2 {
			t.Fatalf("peak %d hashes at once, want 2", got)
		}
	})
	t.Run("BusyItRunsOneFewer", func(t *testing.T) {
		t.Parallel()
		h := New(slow, 2)
		h.ShareCPUWith(func() bool { return true })
		if got := peakRunning(t, h); got != 1 {
			t.Fatalf("peak %d hashes at once while others wait, want 1", got)
		}
	})
	t.Run("NeverBelowOne", func(t *testing.T) {
		t.Parallel()
		h := New(slow, 1)
		h.ShareCPUWith(func() bool { return true })
		if got := peakRunning(t, h); got != 1 {
			t.Fatalf("peak %d, want 1", got)
		}
	})
}
