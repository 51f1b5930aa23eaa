package memory

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

var (
	errSaveCancelled = errors.New("memory: save deletion request: a cancelled request is not saved")
	errNoUser        = errors.New("memory: save deletion request: no such user")
)

// deletionTables are the rows of ports.DeletionStore.
type deletionTables struct {
	requests map[uuid.UUID]ports.DeletionRequest // by user ID
	notices  map[uuid.UUID]ports.DeletionNotice
}

func newDeletionTables() deletionTables {
	return deletionTables{requests: map[uuid.UUID]ports.DeletionRequest{}, notices: map[uuid.UUID]ports.DeletionNotice{}}
}

func (t deletionTables) clone() deletionTables {
	return deletionTables{requests: maps.Clone(t.requests), notices: maps.Clone(t.notices)}
}

// withDeletion fills u.DeletionAt, as every user lookup of the PostgreSQL
// store does; db.mu must be held.
func (db *DB) withDeletion(u auth.User) auth.User {
	u.DeletionAt = nil
	if r, ok := db.t.deletion.requests[u.ID]; ok && !r.Cancelled {
		at := r.ExecuteAt
		u.DeletionAt = &at
	}
	return u
}

// FindDeletionRequestByUser implements ports.DeletionStore. Transactions are
// serialised, so it needs no lock.
func (db *DB) FindDeletionRequestByUser(_ context.Context, userID uuid.UUID) (ports.DeletionRequest, error) {
	defer db.lock()()
	r, ok := db.t.deletion.requests[userID]
	if !ok {
		return ports.DeletionRequest{}, auth.ErrNotFound
	}
	return r, nil
}

// FindDeletionRequest implements ports.DeletionStore.
func (db *DB) FindDeletionRequest(_ context.Context, id uuid.UUID) (ports.DeletionRequest, error) {
	defer db.lock()()
	for _, r := range db.t.deletion.requests {
		if r.ID == id {
			return r, nil
		}
	}
	return ports.DeletionRequest{}, auth.ErrNotFound
}

// SaveDeletionRequest implements ports.DeletionStore.
func (db *DB) SaveDeletionRequest(_ context.Context, r ports.DeletionRequest) error {
	defer db.lock()()
	if r.Cancelled {
		return errSaveCancelled
	}
	if _, ok := db.t.users[r.UserID]; !ok {
		return errNoUser // the foreign key
	}
	if old, ok := db.t.deletion.requests[r.UserID]; ok && (!old.Cancelled || old.ID != r.ID) {
		return auth.ErrDeletionPending
	}
	r.CancelledAt = nil
	db.t.deletion.requests[r.UserID] = r
	return nil
}

// CancelDeletionRequest implements ports.DeletionStore.
func (db *DB) CancelDeletionRequest(_ context.Context, userID uuid.UUID, at time.Time) (ports.DeletionRequest, error) {
	defer db.lock()()
	r, ok := db.t.deletion.requests[userID]
	if !ok || r.Cancelled {
		return ports.DeletionRequest{}, auth.ErrNotFound
	}
	r.Cancelled, r.CancelledAt = true, &at
	db.t.deletion.requests[userID] = r
	return r, nil
}

// DeleteUserData implements ports.DeletionStore: it deletes what the
// PostgreSQL foreign keys cascade to, and, when the transaction commits, the
// jobs that name the user or their deletion request.
func (db *DB) DeleteUserData(ctx context.Context, userID uuid.UUID, keepJobID int64) (string, error) {
	t, ok := ctx.Value(txKey{}).(*tx)
	if !ok {
		return "", ErrNoTx
	}
	defer db.lock()()
	u, ok := db.t.users[userID]
	if !ok {
		return "", auth.ErrNotFound
	}
	names := []string{userID.String()}
	if r, ok := db.t.deletion.requests[userID]; ok {
		names = append(names, r.ID.String())
	}
	email := strings.ToLower(u.Email)
	t.onCommit = append(t.onCommit, func() {
		db.jobs = slices.DeleteFunc(db.jobs, func(j Job) bool {
			if j.ID == keepJobID {
				return false
			}
			raw, _ := json.Marshal(j.Args)
			for _, n := range names {
				if strings.Contains(string(raw), n) {
					return true
				}
			}
			return strings.Contains(strings.ToLower(string(raw)), email)
		})
	})
	db.deleteUserRows(userID)
	return u.Email, nil
}

// deleteUserRows deletes the user and every row that references them, as
// ON DELETE CASCADE does; db.mu must be held. A table added to the memory
// database must be added here.
func (db *DB) deleteUserRows(userID uuid.UUID) {
	t := &db.t
	delete(t.users, userID)
	maps.DeleteFunc(t.sessions, func(_ uuid.UUID, s auth.Session) bool { return s.UserID == userID })
	delete(t.mfa.totp, userID)
	delete(t.mfa.recovery, userID)
	maps.DeleteFunc(t.mfa.challenges, func(_ uuid.UUID, c ports.MFAChallenge) bool { return c.UserID == userID })
	maps.DeleteFunc(t.mfa.stepUps, func(_ uuid.UUID, a stepUpAttempts) bool { return a.userID == userID })
	maps.DeleteFunc(t.verif.verifications, func(_ uuid.UUID, v ports.Verification) bool { return v.UserID == userID })
	t.verif.requests = slices.DeleteFunc(t.verif.requests, func(r ports.EmailRequest) bool { return r.UserID == userID })
	maps.DeleteFunc(t.verif.changes, func(_ uuid.UUID, c ports.EmailChange) bool { return c.UserID == userID })
	maps.DeleteFunc(t.sso.identities, func(_ uuid.UUID, i auth.Identity) bool { return i.UserID == userID })
	maps.DeleteFunc(t.sso.requests, func(_ string, r ports.SAMLRequest) bool { return r.UserID == userID })
	delete(t.deletion.requests, userID)
	maps.DeleteFunc(t.events, func(_ uuid.UUID, e ports.SecurityEvent) bool { return e.UserID == userID })
	delete(t.throttle.runs, userID)
}

// CreateDeletionNotice implements ports.DeletionStore.
func (db *DB) CreateDeletionNotice(_ context.Context, n ports.DeletionNotice) error {
	defer db.lock()()
	db.t.deletion.notices[n.ID] = n
	return nil
}

// FindDeletionNotice implements ports.DeletionStore.
func (db *DB) FindDeletionNotice(_ context.Context, id uuid.UUID) (ports.DeletionNotice, error) {
	defer db.lock()()
	n, ok := db.t.deletion.notices[id]
	if !ok {
		return ports.DeletionNotice{}, auth.ErrNotFound
	}
	return n, nil
}

// DeleteDeletionNotice implements ports.DeletionStore.
func (db *DB) DeleteDeletionNotice(_ context.Context, id uuid.UUID) error {
	defer db.lock()()
	delete(db.t.deletion.notices, id)
	return nil
}

// CancelJob implements ports.JobCanceller: the committed job is marked
// cancelled when the transaction of ctx commits, or at once outside one.
func (db *DB) CancelJob(ctx context.Context, jobID int64) error {
	cancel := func() {
		for i := range db.jobs {
			if db.jobs[i].ID == jobID {
				db.jobs[i].Cancelled = true
			}
		}
	}
	if t, ok := ctx.Value(txKey{}).(*tx); ok {
		defer db.lock()()
		t.onCommit = append(t.onCommit, cancel)
		return nil
	}
	defer db.lock()()
	cancel()
	return nil
}
