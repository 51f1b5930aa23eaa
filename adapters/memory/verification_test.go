package memory_test

import (
	"testing"

	"authd/adapters/memory"
	"authd/ports/portstest"
)

func TestVerificationConformance(t *testing.T) {
	t.Parallel()
	portstest.RunVerification(t, func(t *testing.T) portstest.VerificationStores {
		db := memory.New()
		return portstest.VerificationStores{Users: db, Verifications: db, Requests: db, Changes: db, Tx: db}
	})
}
