package accounts_test

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"authd/adapters/argon2id"
	"authd/adapters/memory"
	"authd/core/accounts"
	"authd/core/auth"
	"authd/core/session"
)

func TestRequireVerifiedLogin(t *testing.T) {
	t.Parallel()
	db := memory.New()
	clock := memory.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	sessions := session.New(session.Deps{Sessions: db, Users: db, Tx: db, Jobs: db, UA: memory.UAParser{}, Clock: clock,
		Random: rand.Reader}, session.Config{Lifetime: time.Hour, IdleTimeout: time.Hour})
	svc := accounts.New(accounts.Deps{Users: db, Tx: db, Jobs: db, Sessions: sessions, Clock: clock, Random: rand.Reader,
		Hasher: argon2id.New(argon2id.Params{MemoryKiB: 64, Time: 1, Threads: 1}, 2)}, accounts.RequireVerifiedLogin(true))
	u, _, err := svc.Signup(context.Background(), "unverified@example.com", goodPassword, client)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("UnverifiedIsRefusedWithTheRightPasswordOnly", func(t *testing.T) {
		if _, _, err := svc.Login(context.Background(), u.Email, goodPassword, client); !errors.Is(err, auth.ErrEmailUnverified) {
			t.Fatalf("error = %v, want email_unverified", err)
		}
		if _, _, err := svc.Login(context.Background(), u.Email, "a wrong password", client); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Fatalf("error = %v, want invalid_credentials", err)
		}
	})
	t.Run("VerifiedSignsIn", func(t *testing.T) {
		if err := db.SetEmailVerified(context.Background(), u.ID, u.Email, clock.Now()); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Login(context.Background(), u.Email, goodPassword, client); err != nil {
			t.Fatal(err)
		}
	})
}
