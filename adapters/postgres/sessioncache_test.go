package postgres_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/adapters/postgres"
	"authd/adapters/postgres/pgtest"
	"authd/core/auth"
)

type cacheBundle struct {
	db    pgtest.DB
	store *postgres.SessionStore
	users *postgres.UserStore
	user  auth.User
	sess  auth.Session
}

func setupCache(t *testing.T) cacheBundle {
	t.Helper()
	db := pgtest.New(t)
	pg := postgres.New(db.Pool)
	b := cacheBundle{db: db, store: postgres.NewSessionStore(pg), users: postgres.NewUserStore(pg)}
	now := time.Now().UTC().Truncate(time.Microsecond)
	b.user = auth.User{ID: uuid.New(), Email: "cache@example.com", CreatedAt: now, UpdatedAt: now}
	b.sess = auth.Session{ID: uuid.New(), UserID: b.user.ID, TokenHash: []byte("0123456789abcdef0123456789abcdef"),
		IP: netip.MustParseAddr("192.0.2.1"), Device: auth.Device{Name: "Test"}, AuthMethod: "pwd", AMR: []string{"pwd"},
		CreatedAt: now, LastActiveAt: now, ExpiresAt: now.Add(time.Hour), ReauthenticatedAt: now}
	ctx := context.Background()
	if err := b.users.CreateUser(ctx, b.user); err != nil {
		t.Fatal(err)
	}
	if err := b.store.CreateSession(ctx, b.sess); err != nil {
		t.Fatal(err)
	}
	return b
}

// process is one API process's cache with its listener running.
func (b cacheBundle) process(t *testing.T) *postgres.SessionCache {
	t.Helper()
	c := postgres.NewSessionCache(postgres.NewSessionStore(postgres.New(b.db.Pool)), time.Minute, 1000)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Listen(ctx, b.db.URL, slog.New(slog.NewTextHandler(io.Discard, nil))); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, "the cache to turn on", func() bool { return servesFromMemory(t, c, b.sess.TokenHash) })
	return c
}

// servesFromMemory looks the session up twice and reports whether the
// second lookup was a hit.
func servesFromMemory(t *testing.T, c *postgres.SessionCache, hash []byte) bool {
	t.Helper()
	c.FindSessionByTokenHash(context.Background(), hash)
	hits, _ := c.Stats()
	c.FindSessionByTokenHash(context.Background(), hash)
	after, _ := c.Stats()
	return after > hits
}

func waitFor(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return time.Since(start)
}

func TestSessionCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("RevocationOnOneProcessReachesTheOther", func(t *testing.T) {
		t.Parallel()
		b := setupCache(t)
		first, second := b.process(t), b.process(t)
		if err := first.RevokeSession(ctx, b.user.ID, b.sess.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, _, err := first.FindSessionByTokenHash(ctx, b.sess.TokenHash); !errors.Is(err, auth.ErrNotFound) {
			t.Fatalf("the revoking process still serves the session: %v", err)
		}
		took := waitFor(t, "the other process to refuse", func() bool {
			_, _, err := second.FindSessionByTokenHash(ctx, b.sess.TokenHash)
			return errors.Is(err, auth.ErrNotFound)
		})
		if took > time.Second {
			t.Fatalf("the other process refused after %s, want within 1s", took)
		}
	})
	t.Run("ChangeOfTheUserReachesEveryProcess", func(t *testing.T) {
		t.Parallel()
		b := setupCache(t)
		c := b.process(t)
		if err := b.users.SetEmailVerified(ctx, b.user.ID, b.user.Email, time.Now()); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the verified address to show", func() bool {
			_, u, err := c.FindSessionByTokenHash(ctx, b.sess.TokenHash)
			return err == nil && u.EmailVerified
		})
	})
	t.Run("LostListenerTurnsTheCacheOffUntilBack", func(t *testing.T) {
		t.Parallel()
		b := setupCache(t)
		c := b.process(t)
		// Kill the listener's connection, as a network cut or a failover would,
		// and change the session meanwhile: the cache must not serve the old copy.
		if _, err := b.db.Pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND query LIKE 'LISTEN %'`); err != nil {
			t.Fatal(err)
		}
		if _, err := b.db.Pool.Exec(ctx, `UPDATE device_sessions SET revoked_at = now() WHERE id = $1`, b.sess.ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the revocation to be seen", func() bool {
			_, _, err := c.FindSessionByTokenHash(ctx, b.sess.TokenHash)
			return errors.Is(err, auth.ErrNotFound)
		})
		// And it comes back on once listening again.
		if _, err := b.db.Pool.Exec(ctx, `UPDATE device_sessions SET revoked_at = NULL WHERE id = $1`, b.sess.ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the cache to turn back on", func() bool { return servesFromMemory(t, c, b.sess.TokenHash) })
	})
	t.Run("TransactionsReadTheDatabase", func(t *testing.T) {
		t.Parallel()
		b := setupCache(t)
		c := b.process(t)
		pg := postgres.New(b.db.Pool)
		err := pg.WithinTx(ctx, func(ctx context.Context) error {
			if _, err := postgres.NewSessionStore(pg).RevokeSessionsByUser(ctx, b.user.ID, uuid.Nil, time.Now()); err != nil {
				return err
			}
			_, _, err := c.FindSessionByTokenHash(ctx, b.sess.TokenHash)
			if !errors.Is(err, auth.ErrNotFound) {
				t.Errorf("inside the revoking transaction the cache answered %v", err)
			}
			return errors.New("roll back")
		})
		if err == nil {
			t.Fatal("the transaction did not roll back")
		}
	})
}

func TestSessionCacheIsBounded(t *testing.T) {
	t.Parallel()
	b := setupCache(t)
	c := postgres.NewSessionCache(b.store, time.Minute, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Listen(ctx, b.db.URL, slog.New(slog.NewTextHandler(io.Discard, nil)))
	waitFor(t, "the cache to turn on", func() bool { return servesFromMemory(t, c, b.sess.TokenHash) })
	other := b.sess
	other.ID, other.TokenHash = uuid.New(), []byte("fedcba9876543210fedcba9876543210")
	if err := b.store.CreateSession(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	c.FindSessionByTokenHash(context.Background(), other.TokenHash) // evicts the first
	_, missesBefore := c.Stats()
	c.FindSessionByTokenHash(context.Background(), b.sess.TokenHash)
	if _, misses := c.Stats(); misses != missesBefore+1 {
		t.Fatal("a cache of one entry still held the evicted session")
	}
}

func TestSessionCacheForgetsExpiredEntries(t *testing.T) {
	t.Parallel()
	b := setupCache(t)
	c := postgres.NewSessionCache(b.store, 50*time.Millisecond, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Listen(ctx, b.db.URL, slog.New(slog.NewTextHandler(io.Discard, nil)))
	waitFor(t, "the cache to hold the session", func() bool {
		c.FindSessionByTokenHash(context.Background(), b.sess.TokenHash)
		return c.Len() == 1
	})
	waitFor(t, "the sweep to drop the expired entry", func() bool { return c.Len() == 0 })
}
