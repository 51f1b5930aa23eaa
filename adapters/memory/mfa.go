package memory

import (
	"bytes"
	"context"
	"crypto/subtle"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// mfaTables are the rows of ports.MFAStore and ports.StepUpAttemptStore.
type mfaTables struct {
	totp       map[uuid.UUID]ports.TOTPCredential
	recovery   map[uuid.UUID][]recoveryCode
	challenges map[uuid.UUID]ports.MFAChallenge
	stepUps    map[uuid.UUID]stepUpAttempts
}

type recoveryCode struct {
	hash   []byte
	usedAt *time.Time
}

type stepUpAttempts struct {
	userID      uuid.UUID
	windowStart time.Time
	attempts    int
}

func newMFATables() mfaTables {
	return mfaTables{
		totp:       map[uuid.UUID]ports.TOTPCredential{},
		recovery:   map[uuid.UUID][]recoveryCode{},
		challenges: map[uuid.UUID]ports.MFAChallenge{},
		stepUps:    map[uuid.UUID]stepUpAttempts{},
	}
}

func (t mfaTables) clone() mfaTables {
	rec := make(map[uuid.UUID][]recoveryCode, len(t.recovery))
	for k, v := range t.recovery {
		rec[k] = slices.Clone(v)
	}
	return mfaTables{totp: maps.Clone(t.totp), recovery: rec, challenges: maps.Clone(t.challenges),
		stepUps: maps.Clone(t.stepUps)}
}

// PutTOTPCredential implements ports.MFAStore.
func (db *DB) PutTOTPCredential(_ context.Context, c ports.TOTPCredential) error {
	defer db.lock()()
	if old, ok := db.t.mfa.totp[c.UserID]; ok && old.ConfirmedAt != nil {
		return auth.ErrAlreadyEnrolled
	}
	c.SealedSecret = bytes.Clone(c.SealedSecret)
	c.ConfirmedAt, c.LastUsedStep = nil, 0
	db.t.mfa.totp[c.UserID] = c
	return nil
}

// FindTOTPCredential implements ports.MFAStore.
func (db *DB) FindTOTPCredential(_ context.Context, userID uuid.UUID) (ports.TOTPCredential, error) {
	defer db.lock()()
	c, ok := db.t.mfa.totp[userID]
	if !ok {
		return ports.TOTPCredential{}, auth.ErrNotFound
	}
	c.SealedSecret = bytes.Clone(c.SealedSecret)
	return c, nil
}

// ConfirmTOTPCredential implements ports.MFAStore.
func (db *DB) ConfirmTOTPCredential(_ context.Context, userID uuid.UUID, step int64, at time.Time) error {
	defer db.lock()()
	c, ok := db.t.mfa.totp[userID]
	if !ok || c.ConfirmedAt != nil {
		return auth.ErrNotFound
	}
	c.ConfirmedAt, c.LastUsedStep = &at, step
	db.t.mfa.totp[userID] = c
	return nil
}

// UseTOTPStep implements ports.MFAStore.
func (db *DB) UseTOTPStep(_ context.Context, userID uuid.UUID, step int64) error {
	defer db.lock()()
	c, ok := db.t.mfa.totp[userID]
	if !ok || c.ConfirmedAt == nil || c.LastUsedStep >= step {
		return auth.ErrNotFound
	}
	c.LastUsedStep = step
	db.t.mfa.totp[userID] = c
	return nil
}

// DeleteTOTPCredential implements ports.MFAStore.
func (db *DB) DeleteTOTPCredential(_ context.Context, userID uuid.UUID) error {
	defer db.lock()()
	delete(db.t.mfa.totp, userID)
	delete(db.t.mfa.recovery, userID)
	return nil
}

// ReplaceRecoveryCodes implements ports.MFAStore.
func (db *DB) ReplaceRecoveryCodes(_ context.Context, userID uuid.UUID, hashes [][]byte, _ time.Time) error {
	defer db.lock()()
	codes := make([]recoveryCode, len(hashes))
	for i, h := range hashes {
		codes[i] = recoveryCode{hash: bytes.Clone(h)}
	}
	db.t.mfa.recovery[userID] = codes
	return nil
}

// UseRecoveryCode implements ports.MFAStore.
func (db *DB) UseRecoveryCode(_ context.Context, userID uuid.UUID, hash []byte, at time.Time) error {
	defer db.lock()()
	codes := slices.Clone(db.t.mfa.recovery[userID])
	for i, c := range codes {
		if c.usedAt == nil && subtle.ConstantTimeCompare(c.hash, hash) == 1 {
			codes[i].usedAt = &at
			db.t.mfa.recovery[userID] = codes
			return nil
		}
	}
	return auth.ErrNotFound
}

// CountRecoveryCodes implements ports.MFAStore.
func (db *DB) CountRecoveryCodes(_ context.Context, userID uuid.UUID) (int, error) {
	defer db.lock()()
	n := 0
	for _, c := range db.t.mfa.recovery[userID] {
		if c.usedAt == nil {
			n++
		}
	}
	return n, nil
}

// CreateMFAChallenge implements ports.MFAStore.
func (db *DB) CreateMFAChallenge(_ context.Context, c ports.MFAChallenge) error {
	defer db.lock()()
	c.TokenHash = bytes.Clone(c.TokenHash)
	db.t.mfa.challenges[c.ID] = c
	return nil
}

// ClaimMFAChallengeAttempt implements ports.MFAStore.
func (db *DB) ClaimMFAChallengeAttempt(_ context.Context, tokenHash []byte, now time.Time, maxAttempts int) (ports.MFAChallenge, error) {
	defer db.lock()()
	for id, c := range db.t.mfa.challenges {
		if !bytes.Equal(c.TokenHash, tokenHash) {
			continue
		}
		if c.UsedAt != nil || !now.Before(c.ExpiresAt) || c.Attempts >= maxAttempts {
			break
		}
		c.Attempts++
		db.t.mfa.challenges[id] = c
		return c, nil
	}
	return ports.MFAChallenge{}, auth.ErrNotFound
}

// ConsumeMFAChallenge implements ports.MFAStore.
func (db *DB) ConsumeMFAChallenge(_ context.Context, id uuid.UUID, at time.Time) error {
	defer db.lock()()
	c, ok := db.t.mfa.challenges[id]
	if !ok || c.UsedAt != nil {
		return auth.ErrNotFound
	}
	c.UsedAt = &at
	db.t.mfa.challenges[id] = c
	return nil
}

// ClaimStepUpAttempt implements ports.StepUpAttemptStore.
func (db *DB) ClaimStepUpAttempt(_ context.Context, sessionID, userID uuid.UUID, now time.Time, window time.Duration,
	max int) (bool, time.Time, error) {
	defer db.lock()()
	a, ok := db.t.mfa.stepUps[sessionID]
	switch {
	case !ok || !a.windowStart.After(now.Add(-window)): // no window open, or it has closed
		a = stepUpAttempts{userID: userID, windowStart: now, attempts: 1}
	case a.attempts < max:
		a.attempts++
	default:
		return false, a.windowStart, nil
	}
	db.t.mfa.stepUps[sessionID] = a
	return true, a.windowStart, nil
}

// ClearStepUpAttempts implements ports.StepUpAttemptStore.
func (db *DB) ClearStepUpAttempts(_ context.Context, sessionID uuid.UUID) error {
	defer db.lock()()
	delete(db.t.mfa.stepUps, sessionID)
	return nil
}

// DeleteMFAChallengesBefore implements ports.MFAStore.
func (db *DB) DeleteMFAChallengesBefore(_ context.Context, before time.Time) (int, error) {
	defer db.lock()()
	n := 0
	for id, c := range db.t.mfa.challenges {
		if c.ExpiresAt.Before(before) {
			delete(db.t.mfa.challenges, id)
			n++
		}
	}
	return n, nil
}
