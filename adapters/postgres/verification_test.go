package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/adapters/postgres"
	"authd/adapters/postgres/pgtest"
	"authd/core/auth"
	"authd/ports"
	"authd/ports/portstest"
)

func TestVerificationConformance(t *testing.T) {
	t.Parallel()
	portstest.RunVerification(t, func(t *testing.T) portstest.VerificationStores {
		db := postgres.New(pgtest.New(t).Pool)
		store := postgres.NewVerificationStore(db)
		return portstest.VerificationStores{Users: postgres.NewUserStore(db), Verifications: store, Requests: store,
			Changes: store, Tx: db}
	})
}

// TestVerificationRowsGoWithTheirUser checks what only the schema can: a
// deleted account leaves no token, request or change behind.
func TestVerificationRowsGoWithTheirUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := pgtest.New(t)
	db := postgres.New(pg.Pool)
	users, store := postgres.NewUserStore(db), postgres.NewVerificationStore(db)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	u := auth.User{ID: uuid.New(), Email: "gone@example.com", CreatedAt: now, UpdatedAt: now}
	if err := users.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	err := db.WithinTx(ctx, func(ctx context.Context) error {
		return errors.Join(
			store.ReplaceVerification(ctx, ports.Verification{ID: uuid.New(), UserID: u.ID, TokenHash: []byte("h"),
				Email: u.Email, Purpose: ports.PurposeVerifyEmail, ExpiresAt: now.Add(time.Hour), CreatedAt: now}),
			store.RecordEmailRequest(ctx, ports.EmailRequest{UserID: u.ID, Purpose: ports.PurposeVerifyEmail, CreatedAt: now}),
			store.CreateEmailChange(ctx, ports.EmailChange{ID: uuid.New(), UserID: u.ID, OldEmail: "a@example.com",
				NewEmail: u.Email, ChangedAt: now}),
		)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pg.Pool.Exec(ctx, `DELETE FROM users WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := pg.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM email_verifications) +
		(SELECT count(*) FROM email_requests) + (SELECT count(*) FROM email_changes)`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d rows outlived their user", n)
	}
}
