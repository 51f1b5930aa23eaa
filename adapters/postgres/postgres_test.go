package postgres_test

import (
	"testing"

	"authd/adapters/postgres"
	"authd/adapters/postgres/pgtest"
	"authd/ports/portstest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	portstest.Run(t, func(t *testing.T) portstest.Stores {
		db := postgres.New(pgtest.New(t).Pool)
		return portstest.Stores{Users: postgres.NewUserStore(db), Sessions: postgres.NewSessionStore(db), Tx: db,
			MFA: postgres.NewMFAStore(db), StepUps: postgres.NewMFAStore(db),
			SSO: postgres.NewSSOStore(db)}
	})
}
