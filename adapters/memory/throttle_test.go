package memory_test

import (
	"testing"

	"authd/adapters/memory"
	"authd/ports/portstest"
)

func TestThrottleConformance(t *testing.T) {
	t.Parallel()
	portstest.RunThrottle(t, func(t *testing.T) portstest.ThrottleStores {
		db := memory.New()
		return portstest.ThrottleStores{Users: db, Throttle: db, Tx: db}
	})
}
