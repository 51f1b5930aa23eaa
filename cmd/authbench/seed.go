package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/netip"
	"net/url"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"authd/adapters/argon2id"
	"authd/adapters/postgres"
)

// benchPassword is every seeded user's password.
const benchPassword = "benchmark password 2026"

// fixture is the seeded database.
type fixture struct {
	URL    string
	Pool   *pgxpool.Pool
	Emails []string    // every user
	Tokens []string    // live session tokens, one user's each
	Users  []uuid.UUID // the owners of Tokens, index for index
	drop   func()
}

// seed creates a fresh database through admin, migrates it, and stores users
// and sessions sessions spread over them with COPY.
func seed(ctx context.Context, admin string, users, sessions int) (*fixture, error) {
	name := "authbench_" + hex.EncodeToString(randBytes(6))
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", admin, err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		conn.Close(ctx)
		return nil, err
	}
	conn.Close(ctx)
	u, _ := url.Parse(admin)
	u.Path = "/" + name
	f := &fixture{URL: u.String()}
	f.drop = func() {
		if f.Pool != nil {
			f.Pool.Close()
		}
		c, err := pgx.Connect(context.Background(), admin)
		if err == nil {
			c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(context.Background())
		}
	}
	if f.Pool, err = pgxpool.New(ctx, f.URL); err != nil {
		f.drop()
		return nil, err
	}
	m, err := postgres.NewMigrator(f.Pool)
	if err == nil {
		_, err = m.Up(ctx)
		m.Close()
	}
	if err == nil {
		err = f.fill(ctx, users, sessions)
	}
	if err != nil {
		f.drop()
		return nil, err
	}
	return f, nil
}

func (f *fixture) fill(ctx context.Context, users, sessions int) error {
	hash, err := argon2id.New(argon2id.Default, 1).Hash(benchPassword)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	ids := make([]uuid.UUID, users)
	userRows := make([][]any, users)
	for i := range users {
		ids[i] = uuid.New()
		email := fmt.Sprintf("bench-user-%06d@example.com", i)
		f.Emails = append(f.Emails, email)
		userRows[i] = []any{ids[i], email, hash, true, now, now}
	}
	if _, err := f.Pool.CopyFrom(ctx, pgx.Identifier{"users"},
		[]string{"id", "email", "password_hash", "email_verified", "created_at", "updated_at"},
		pgx.CopyFromRows(userRows)); err != nil {
		return fmt.Errorf("seed users: %w", err)
	}
	rows := make([][]any, sessions)
	for i := range sessions {
		token := base64.RawURLEncoding.EncodeToString(randBytes(32))
		sum := sha256.Sum256([]byte(token))
		owner := ids[i%users]
		f.Tokens = append(f.Tokens, token)
		f.Users = append(f.Users, owner)
		// The device and network the load logs in from: known, so logins
		// raise no new-device alert.
		rows[i] = []any{uuid.New(), owner, sum[:], loopback, "Mozilla/5.0 authbench", "Firefox 128 on Linux", "Firefox",
			"Linux", "desktop", "pwd", []string{"pwd"}, now, now, now.Add(720 * time.Hour), now}
	}
	if _, err := f.Pool.CopyFrom(ctx, pgx.Identifier{"device_sessions"},
		[]string{"id", "user_id", "token_hash", "ip", "user_agent", "device_name", "browser", "os", "device_type",
			"auth_method", "amr", "created_at", "last_active_at", "expires_at", "reauthenticated_at"},
		pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("seed sessions: %w", err)
	}
	_, err = f.Pool.Exec(ctx, "ANALYZE")
	return err
}

var loopback = netip.MustParseAddr("127.0.0.1")

func randBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}
