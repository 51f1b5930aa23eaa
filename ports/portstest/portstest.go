// Package portstest is the conformance suite every store implementation must
// pass: the PostgreSQL stores and the in-memory fakes run the same tests, so a
// core test on fakes means what it would mean on the database.
package portstest

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// Stores is one fresh, empty set of stores.
type Stores struct {
	Users    ports.UserStore
	Sessions ports.SessionStore
	Tx       ports.TxRunner
	MFA      ports.MFAStore
	StepUps  ports.StepUpAttemptStore
	SSO      SSOStore
}

// Run runs the suite; newStores must return empty stores for each call.
func Run(t *testing.T, newStores func(t *testing.T) Stores) {
	t.Run("Users", func(t *testing.T) { t.Parallel(); testUsers(t, newStores) })
	t.Run("Sessions", func(t *testing.T) { t.Parallel(); testSessions(t, newStores) })
	t.Run("Tx", func(t *testing.T) { t.Parallel(); testTx(t, newStores) })
	t.Run("MFA", func(t *testing.T) { t.Parallel(); testMFA(t, newStores) })
	t.Run("StepUpAttempts", func(t *testing.T) { t.Parallel(); testStepUpAttempts(t, newStores) })
	t.Run("SSOProviders", func(t *testing.T) { t.Parallel(); testSSOProviders(t, newStores) })
	t.Run("SSOIdentities", func(t *testing.T) { t.Parallel(); testSSOIdentities(t, newStores) })
	t.Run("SSOState", func(t *testing.T) { t.Parallel(); testSSOState(t, newStores) })
	t.Run("SSOKeyPair", func(t *testing.T) { t.Parallel(); testSSOKeyPair(t, newStores) })
}

// base is a timestamp with PostgreSQL's microsecond precision.
var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newUser(email string) auth.User {
	return auth.User{ID: uuid.New(), Email: email, PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
		CreatedAt: base, UpdatedAt: base}
}

func newSession(userID uuid.UUID, token string, lastActive time.Time) auth.Session {
	return auth.Session{
		ID: uuid.New(), UserID: userID, TokenHash: []byte(token + "-hash-padding-to-32-bytes-long!!"),
		IP: netip.MustParseAddr("203.0.113.7"), UserAgent: "Mozilla/5.0 test",
		Device:     auth.Device{Name: "Firefox 128 on Linux", Browser: "Firefox", OS: "Linux", Type: "desktop"},
		AuthMethod: auth.MethodPassword, AMR: []string{auth.MethodPassword},
		CreatedAt: base, LastActiveAt: lastActive, ExpiresAt: base.Add(30 * 24 * time.Hour),
		ReauthenticatedAt: base,
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

func testTx(t *testing.T, newStores func(t *testing.T) Stores) {
	ctx := context.Background()
	t.Run("RollbackUndoesWrites", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		u := newUser("rollback@example.com")
		boom := errors.New("boom")
		err := s.Tx.WithinTx(ctx, func(ctx context.Context) error {
			must(t, s.Users.CreateUser(ctx, u))
			return boom
		})
		wantErr(t, err, boom)
		_, err = s.Users.FindUserByID(ctx, u.ID)
		wantErr(t, err, auth.ErrNotFound)
	})
	t.Run("NestedJoinsOuter", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		u := newUser("nested@example.com")
		boom := errors.New("boom")
		err := s.Tx.WithinTx(ctx, func(ctx context.Context) error {
			must(t, s.Tx.WithinTx(ctx, func(ctx context.Context) error { return s.Users.CreateUser(ctx, u) }))
			return boom
		})
		wantErr(t, err, boom)
		_, err = s.Users.FindUserByID(ctx, u.ID)
		wantErr(t, err, auth.ErrNotFound)
	})
	t.Run("CommitKeepsWrites", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		u := newUser("commit@example.com")
		must(t, s.Tx.WithinTx(ctx, func(ctx context.Context) error { return s.Users.CreateUser(ctx, u) }))
		_, err := s.Users.FindUserByID(ctx, u.ID)
		must(t, err)
	})
}
