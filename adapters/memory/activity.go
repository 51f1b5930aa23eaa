package memory

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"

	"authd/ports"
)

// CreateSecurityEvent implements ports.SecurityEventStore.
func (db *DB) CreateSecurityEvent(_ context.Context, e ports.SecurityEvent) error {
	defer db.lock()()
	e.Detail = maps.Clone(e.Detail)
	if e.Detail == nil {
		e.Detail = map[string]string{}
	}
	db.t.events[e.ID] = e
	return nil
}

// ListSecurityEventsByUser implements ports.SecurityEventStore.
func (db *DB) ListSecurityEventsByUser(_ context.Context, userID uuid.UUID, limit int) ([]ports.SecurityEvent, error) {
	defer db.lock()()
	return db.eventsOf(userID, limit), nil
}

// eventsOf lists the user's events newest first, as the index orders them;
// db.mu must be held.
func (db *DB) eventsOf(userID uuid.UUID, limit int) []ports.SecurityEvent {
	out := []ports.SecurityEvent{}
	for _, e := range db.t.events {
		if e.UserID == userID {
			e.Detail = maps.Clone(e.Detail)
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b ports.SecurityEvent) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		// PostgreSQL orders uuids bytewise, descending here.
		return -slices.Compare(a.ID[:], b.ID[:])
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// DeleteSecurityEventsBefore implements ports.SecurityEventStore.
func (db *DB) DeleteSecurityEventsBefore(_ context.Context, before time.Time) (int, error) {
	defer db.lock()()
	n := 0
	for id, e := range db.t.events {
		if e.CreatedAt.Before(before) {
			delete(db.t.events, id)
			n++
		}
	}
	return n, nil
}
