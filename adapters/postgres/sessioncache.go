package postgres

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// SessionCache serves the per-request session lookup from memory and passes
// everything else to the store it wraps. PostgreSQL stays the one source of
// truth: triggers NOTIFY every change that matters to a cached entry (a
// session revoked or rotated, its user changed, a deletion requested), the
// listener of every API process drops what they name, and while that
// listener is down the cache is off and emptied, so a revocation is never
// missed. Entries also expire after a TTL, which bounds how stale the
// activity time it keeps can get.
type SessionCache struct {
	ports.SessionStore
	ttl time.Duration
	max int

	// The maps hold no pointers in their keys and values but the entries
	// themselves, so the garbage collector has little to walk however many
	// sessions are cached: it runs often while passwords are hashed.
	mu        sync.Mutex
	on        bool
	gen       uint64 // bumped by every invalidation; fills from before it are dropped
	entries   map[tokenKey]*cacheEntry
	bySession map[uuid.UUID]tokenKey

	hits, misses atomic.Int64
}

// tokenKey is a token hash (SHA-256) as a map key.
type tokenKey [32]byte

type cacheEntry struct {
	s       auth.Session
	u       auth.User
	fetched time.Time
}

// NewSessionCache wraps store; it holds at most max entries for at most ttl.
// It starts off: Listen turns it on once it hears notifications.
func NewSessionCache(store ports.SessionStore, ttl time.Duration, max int) *SessionCache {
	c := &SessionCache{SessionStore: store, ttl: ttl, max: max}
	c.reset()
	return c
}

func (c *SessionCache) reset() {
	c.entries = map[tokenKey]*cacheEntry{}
	c.bySession = map[uuid.UUID]tokenKey{}
}

// Stats reports lookups served from memory and from the database.
func (c *SessionCache) Stats() (hits, misses int64) { return c.hits.Load(), c.misses.Load() }

// FindSessionByTokenHash answers from memory when it can. Inside a
// transaction it always reads the database, which the transaction may have
// changed.
func (c *SessionCache) FindSessionByTokenHash(ctx context.Context, hash []byte) (auth.Session, auth.User, error) {
	if _, inTx := TxFromContext(ctx); inTx || len(hash) != len(tokenKey{}) {
		return c.SessionStore.FindSessionByTokenHash(ctx, hash)
	}
	key := tokenKey(hash)
	now := time.Now()
	c.mu.Lock()
	on, gen := c.on, c.gen
	if e, ok := c.entries[key]; ok && now.Sub(e.fetched) < c.ttl {
		s, u := e.s, e.u
		c.mu.Unlock()
		c.hits.Add(1)
		s.AMR = slices.Clone(s.AMR)
		return s, u, nil
	}
	c.mu.Unlock()
	c.misses.Add(1)
	s, u, err := c.SessionStore.FindSessionByTokenHash(ctx, hash)
	if err != nil || !on {
		return s, u, err
	}
	c.mu.Lock()
	if c.on && c.gen == gen { // nothing was invalidated while we read
		c.put(key, &cacheEntry{s: s, u: u, fetched: now})
	}
	c.mu.Unlock()
	s.AMR = slices.Clone(s.AMR)
	return s, u, nil
}

// put stores e, first making room by dropping arbitrary entries (Go's map
// order) when full: cheap, and fair enough for a cache refilled in one query.
func (c *SessionCache) put(key tokenKey, e *cacheEntry) {
	if old, ok := c.entries[key]; ok {
		c.forget(key, old)
	}
	for k, old := range c.entries {
		if len(c.entries) < c.max {
			break
		}
		c.forget(k, old)
	}
	c.entries[key] = e
	c.bySession[e.s.ID] = key
}

func (c *SessionCache) forget(key tokenKey, e *cacheEntry) {
	delete(c.entries, key)
	delete(c.bySession, e.s.ID)
}

// InvalidateSession drops the session's entry.
func (c *SessionCache) InvalidateSession(id uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if key, ok := c.bySession[id]; ok {
		c.forget(key, c.entries[key])
	}
}

// InvalidateUser drops every entry of the user. It walks the whole cache:
// users change rarely (an address verified, a deletion requested), and an
// index by user would cost the collector more than this costs the change.
func (c *SessionCache) InvalidateUser(id uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for key, e := range c.entries {
		if e.s.UserID == id {
			c.forget(key, e)
		}
	}
}

// sweepEvery drops expired entries every interval until ctx ends: entries
// are otherwise replaced only when looked up again, and sessions that stopped
// calling would hold memory (and garbage-collector time) for good.
func (c *SessionCache) sweepEvery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			c.sweep(now)
		}
	}
}

func (c *SessionCache) sweep(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, e := range c.entries {
		if now.Sub(e.fetched) >= c.ttl {
			c.forget(key, e)
		}
	}
}

// Len is how many entries the cache holds.
func (c *SessionCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// flush empties the cache and leaves it on or off.
func (c *SessionCache) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.reset()
}

// setOn turns the cache on or off; either way it starts empty, since nothing
// it held can be trusted across a gap in notifications.
func (c *SessionCache) setOn(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.on = on
	c.gen++
	c.reset()
}

// The writes below go to the store, then drop the entries they changed once
// the change has committed (the listener would too, a moment later; this
// makes the same process exact).

// TouchSession records activity and keeps the cached entry's copy current.
func (c *SessionCache) TouchSession(ctx context.Context, id uuid.UUID, at time.Time) error {
	if err := c.SessionStore.TouchSession(ctx, id, at); err != nil {
		return err
	}
	c.mu.Lock()
	if key, ok := c.bySession[id]; ok {
		c.entries[key].s.LastActiveAt = at
	}
	c.mu.Unlock()
	return nil
}

// RevokeSession implements ports.SessionStore.
func (c *SessionCache) RevokeSession(ctx context.Context, userID, id uuid.UUID, at time.Time) error {
	err := c.SessionStore.RevokeSession(ctx, userID, id, at)
	AfterCommit(ctx, func() { c.InvalidateSession(id) })
	return err
}

// RevokeSessionsByUser implements ports.SessionStore.
func (c *SessionCache) RevokeSessionsByUser(ctx context.Context, userID, except uuid.UUID, at time.Time) (int, error) {
	n, err := c.SessionStore.RevokeSessionsByUser(ctx, userID, except, at)
	AfterCommit(ctx, func() { c.InvalidateUser(userID) })
	return n, err
}

// RotateSessionToken implements ports.SessionStore.
func (c *SessionCache) RotateSessionToken(ctx context.Context, id uuid.UUID, hash []byte, method string, at time.Time) (auth.Session, error) {
	s, err := c.SessionStore.RotateSessionToken(ctx, id, hash, method, at)
	AfterCommit(ctx, func() { c.InvalidateSession(id) })
	return s, err
}
