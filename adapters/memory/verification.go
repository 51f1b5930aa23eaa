package memory

import (
	"bytes"
	"context"
	"maps"
	"net/netip"
	"slices"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// verificationTables are the rows of ports.VerificationStore,
// ports.EmailRequestLog and ports.EmailChangeStore.
type verificationTables struct {
	verifications map[uuid.UUID]ports.Verification
	requests      []ports.EmailRequest
	changes       map[uuid.UUID]ports.EmailChange
}

func newVerificationTables() verificationTables {
	return verificationTables{
		verifications: map[uuid.UUID]ports.Verification{},
		changes:       map[uuid.UUID]ports.EmailChange{},
	}
}

// clone copies every table; the rows are values whose pointers (UsedAt,
// TokenHash) are never written through, so a shallow copy of each is enough.
func (t verificationTables) clone() verificationTables {
	return verificationTables{
		verifications: maps.Clone(t.verifications),
		requests:      slices.Clone(t.requests),
		changes:       maps.Clone(t.changes),
	}
}

// ReplaceVerification implements ports.VerificationStore.
func (db *DB) ReplaceVerification(_ context.Context, v ports.Verification) error {
	defer db.lock()()
	for id, o := range db.t.verif.verifications {
		if o.UserID == v.UserID && o.Purpose == v.Purpose && o.UsedAt == nil {
			delete(db.t.verif.verifications, id)
		}
	}
	v.TokenHash = bytes.Clone(v.TokenHash)
	db.t.verif.verifications[v.ID] = v
	return nil
}

// usable finds the verification ConsumeVerification and FindUsableVerification
// look for; the caller holds the lock.
func (db *DB) usable(hash []byte, now time.Time, purposes []ports.VerificationPurpose) (ports.Verification, bool) {
	if len(hash) == 0 {
		return ports.Verification{}, false
	}
	for _, v := range db.t.verif.verifications {
		if bytes.Equal(v.TokenHash, hash) && v.UsedAt == nil && v.ExpiresAt.After(now) &&
			slices.Contains(purposes, v.Purpose) {
			return v, true
		}
	}
	return ports.Verification{}, false
}

// ConsumeVerification implements ports.VerificationStore.
func (db *DB) ConsumeVerification(_ context.Context, hash []byte, now time.Time, purposes ...ports.VerificationPurpose) (ports.Verification, error) {
	defer db.lock()()
	v, ok := db.usable(hash, now, purposes)
	if !ok {
		return ports.Verification{}, auth.ErrNotFound
	}
	v.UsedAt = &now
	db.t.verif.verifications[v.ID] = v
	return v, nil
}

// FindUsableVerification implements ports.VerificationStore.
func (db *DB) FindUsableVerification(_ context.Context, hash []byte, now time.Time, purposes ...ports.VerificationPurpose) (ports.Verification, error) {
	defer db.lock()()
	v, ok := db.usable(hash, now, purposes)
	if !ok {
		return ports.Verification{}, auth.ErrNotFound
	}
	return v, nil
}

// FindPendingVerification implements ports.VerificationStore.
func (db *DB) FindPendingVerification(_ context.Context, userID uuid.UUID, purpose ports.VerificationPurpose, now time.Time) (ports.Verification, error) {
	defer db.lock()()
	var best ports.Verification
	found := false
	for _, v := range db.t.verif.verifications {
		if v.UserID == userID && v.Purpose == purpose && v.UsedAt == nil && v.ExpiresAt.After(now) &&
			(!found || v.CreatedAt.After(best.CreatedAt)) {
			best, found = v, true
		}
	}
	if !found {
		return ports.Verification{}, auth.ErrNotFound
	}
	return best, nil
}

// DeleteStaleVerifications implements ports.VerificationStore.
func (db *DB) DeleteStaleVerifications(_ context.Context, expiredBefore time.Time) (int, error) {
	defer db.lock()()
	n := 0
	for id, v := range db.t.verif.verifications {
		if v.UsedAt != nil || v.ExpiresAt.Before(expiredBefore) {
			delete(db.t.verif.verifications, id)
			n++
		}
	}
	return n, nil
}

// RecordEmailRequest implements ports.EmailRequestLog.
func (db *DB) RecordEmailRequest(_ context.Context, r ports.EmailRequest) error {
	defer db.lock()()
	db.t.verif.requests = append(db.t.verif.requests, r)
	return nil
}

// requestTimes lists, newest first, the times of the requests match accepts.
// Transactions are serialised, so no extra lock is needed for the count.
func (db *DB) requestTimes(match func(ports.EmailRequest) bool) []time.Time {
	defer db.lock()()
	var out []time.Time
	for _, r := range db.t.verif.requests {
		if match(r) {
			out = append(out, r.CreatedAt)
		}
	}
	slices.SortFunc(out, func(a, b time.Time) int { return b.Compare(a) })
	return out
}

// EmailRequestTimesByUser implements ports.EmailRequestLog.
func (db *DB) EmailRequestTimesByUser(_ context.Context, userID uuid.UUID, purpose ports.VerificationPurpose, since time.Time) ([]time.Time, error) {
	return db.requestTimes(func(r ports.EmailRequest) bool {
		return r.UserID == userID && r.Purpose == purpose && !r.CreatedAt.Before(since)
	}), nil
}

// EmailRequestTimesByIP implements ports.EmailRequestLog.
func (db *DB) EmailRequestTimesByIP(_ context.Context, ip netip.Addr, purpose ports.VerificationPurpose, since time.Time) ([]time.Time, error) {
	return db.requestTimes(func(r ports.EmailRequest) bool {
		return r.IP.IsValid() && r.IP == ip && r.Purpose == purpose && !r.CreatedAt.Before(since)
	}), nil
}

// DeleteEmailRequestsBefore implements ports.EmailRequestLog.
func (db *DB) DeleteEmailRequestsBefore(_ context.Context, t time.Time) (int, error) {
	defer db.lock()()
	before := len(db.t.verif.requests)
	db.t.verif.requests = slices.DeleteFunc(db.t.verif.requests, func(r ports.EmailRequest) bool {
		return r.CreatedAt.Before(t)
	})
	return before - len(db.t.verif.requests), nil
}

// CreateEmailChange implements ports.EmailChangeStore.
func (db *DB) CreateEmailChange(_ context.Context, c ports.EmailChange) error {
	defer db.lock()()
	db.t.verif.changes[c.ID] = c
	return nil
}

// FindEmailChange implements ports.EmailChangeStore.
func (db *DB) FindEmailChange(_ context.Context, id uuid.UUID) (ports.EmailChange, error) {
	defer db.lock()()
	c, ok := db.t.verif.changes[id]
	if !ok {
		return ports.EmailChange{}, auth.ErrNotFound
	}
	return c, nil
}
