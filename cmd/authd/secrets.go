package main

import (
	"context"
	"crypto/rand"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"authd/adapters/postgres"
	"authd/core/accounts"
	"authd/ports"
)

// accountPolicy lends the accounts rules for addresses and passwords to the
// capabilities that change them (ports.AccountPolicy), so the rules live in
// one place.
type accountPolicy struct{ hasher ports.PasswordHasher }

func (accountPolicy) NormalizeEmail(raw string) (string, error) { return accounts.NormalizeEmail(raw) }

func (p accountPolicy) HashNewPassword(password, email string) (string, error) {
	if err := accounts.CheckPassword(password, email); err != nil {
		return "", err
	}
	return p.hasher.Hash(password)
}

// generatedKey is the fallback for an unset AUTHD_ENCRYPTION_KEY: a random
// key made on first start and kept in the database, so that restarts still
// open what it sealed. Kept beside the data it protects, it protects nothing
// against a stolen database: hence the warning.
func generatedKey(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) ([]byte, error) {
	key, _, err := postgres.New(pool).InstanceSecret(ctx, "encryption_key", func() ([]byte, error) {
		k := make([]byte, 32)
		_, err := rand.Read(k)
		return k, err
	})
	if err != nil {
		return nil, err
	}
	log.Warn("AUTHD_ENCRYPTION_KEY unset; using a generated key stored in the database — set it in production")
	return key, nil
}
