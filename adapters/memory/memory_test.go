package memory_test

import (
	"testing"

	"authd/adapters/memory"
	"authd/ports/portstest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	portstest.Run(t, func(t *testing.T) portstest.Stores {
		db := memory.New()
		return portstest.Stores{Users: db, Sessions: db, Tx: db, MFA: db, StepUps: db, SSO: db}
	})
}
