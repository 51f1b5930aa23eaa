package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"authd/core/auth"
	"authd/ports"
)

// MFAStore implements ports.MFAStore and ports.StepUpAttemptStore on
// totp_credentials, recovery_codes, mfa_challenges and step_up_attempts.
type MFAStore struct{ db *DB }

// NewMFAStore returns an MFAStore on db.
func NewMFAStore(db *DB) *MFAStore { return &MFAStore{db: db} }

// PutTOTPCredential replaces a pending credential; the WHERE of the upsert
// leaves a confirmed one alone, which is how ErrAlreadyEnrolled is detected
// without a read first.
func (st *MFAStore) PutTOTPCredential(ctx context.Context, c ports.TOTPCredential) error {
	tag, err := st.db.conn(ctx).Exec(ctx, `
		INSERT INTO totp_credentials AS t (user_id, sealed_secret, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE
			SET sealed_secret = excluded.sealed_secret, created_at = excluded.created_at, last_used_step = 0
			WHERE t.confirmed_at IS NULL`, c.UserID, c.SealedSecret, c.CreatedAt)
	if err != nil {
		return fmt.Errorf("postgres: put totp credential: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return auth.ErrAlreadyEnrolled
	}
	return nil
}

// FindTOTPCredential returns auth.ErrNotFound when the user has none.
func (st *MFAStore) FindTOTPCredential(ctx context.Context, userID uuid.UUID) (ports.TOTPCredential, error) {
	var c ports.TOTPCredential
	err := st.db.conn(ctx).QueryRow(ctx, `
		SELECT user_id, sealed_secret, confirmed_at, last_used_step, created_at
		FROM totp_credentials WHERE user_id = $1`, userID).
		Scan(&c.UserID, &c.SealedSecret, &c.ConfirmedAt, &c.LastUsedStep, &c.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, auth.ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("postgres: find totp credential: %w", err)
	}
	return c, nil
}

// ConfirmTOTPCredential turns a pending credential on.
func (st *MFAStore) ConfirmTOTPCredential(ctx context.Context, userID uuid.UUID, step int64, at time.Time) error {
	return st.affectOne(ctx, "confirm totp credential", `
		UPDATE totp_credentials SET confirmed_at = $3, last_used_step = $2
		WHERE user_id = $1 AND confirmed_at IS NULL`, userID, step, at)
}

// UseTOTPStep moves last_used_step forward only: two requests racing with
// the same code both run this UPDATE, and the row lock lets one through.
func (st *MFAStore) UseTOTPStep(ctx context.Context, userID uuid.UUID, step int64) error {
	return st.affectOne(ctx, "use totp step", `
		UPDATE totp_credentials SET last_used_step = $2
		WHERE user_id = $1 AND confirmed_at IS NOT NULL AND last_used_step < $2`, userID, step)
}

// DeleteTOTPCredential removes the credential and the recovery codes.
func (st *MFAStore) DeleteTOTPCredential(ctx context.Context, userID uuid.UUID) error {
	// One statement, so it is atomic even outside a transaction.
	_, err := st.db.conn(ctx).Exec(ctx, `
		WITH codes AS (DELETE FROM recovery_codes WHERE user_id = $1)
		DELETE FROM totp_credentials WHERE user_id = $1`, userID)
	if err != nil {
		return fmt.Errorf("postgres: delete totp credential: %w", err)
	}
	return nil
}

// ReplaceRecoveryCodes drops the old codes and inserts the new hashes.
func (st *MFAStore) ReplaceRecoveryCodes(ctx context.Context, userID uuid.UUID, hashes [][]byte, at time.Time) error {
	_, err := st.db.conn(ctx).Exec(ctx, `
		WITH old AS (DELETE FROM recovery_codes WHERE user_id = $1)
		INSERT INTO recovery_codes (user_id, code_hash, created_at)
		SELECT $1, h, $3 FROM unnest($2::bytea[]) AS h`, userID, hashes, at)
	if err != nil {
		return fmt.Errorf("postgres: replace recovery codes: %w", err)
	}
	return nil
}

// UseRecoveryCode marks one unused code used; the primary key finds it.
func (st *MFAStore) UseRecoveryCode(ctx context.Context, userID uuid.UUID, hash []byte, at time.Time) error {
	return st.affectOne(ctx, "use recovery code", `
		UPDATE recovery_codes SET used_at = $3
		WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`, userID, hash, at)
}

// CountRecoveryCodes counts unused codes.
func (st *MFAStore) CountRecoveryCodes(ctx context.Context, userID uuid.UUID) (int, error) {
	var n int
	err := st.db.conn(ctx).QueryRow(ctx,
		`SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgres: count recovery codes: %w", err)
	}
	return n, nil
}

// CreateMFAChallenge inserts c.
func (st *MFAStore) CreateMFAChallenge(ctx context.Context, c ports.MFAChallenge) error {
	_, err := st.db.conn(ctx).Exec(ctx, `
		INSERT INTO mfa_challenges (id, user_id, token_hash, attempts, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, c.ID, c.UserID, c.TokenHash, c.Attempts, c.CreatedAt, c.ExpiresAt)
	if err != nil {
		return fmt.Errorf("postgres: create mfa challenge: %w", err)
	}
	return nil
}

// ClaimMFAChallengeAttempt counts an attempt in the same statement that
// checks the bound, so concurrent guesses serialise on the row.
func (st *MFAStore) ClaimMFAChallengeAttempt(ctx context.Context, tokenHash []byte, now time.Time, maxAttempts int) (ports.MFAChallenge, error) {
	var c ports.MFAChallenge
	err := st.db.conn(ctx).QueryRow(ctx, `
		UPDATE mfa_challenges SET attempts = attempts + 1
		WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 AND attempts < $3
		RETURNING id, user_id, token_hash, attempts, created_at, expires_at, used_at`, tokenHash, now, maxAttempts).
		Scan(&c.ID, &c.UserID, &c.TokenHash, &c.Attempts, &c.CreatedAt, &c.ExpiresAt, &c.UsedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, auth.ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("postgres: claim mfa challenge: %w", err)
	}
	return c, nil
}

// ConsumeMFAChallenge marks the challenge used, once.
func (st *MFAStore) ConsumeMFAChallenge(ctx context.Context, id uuid.UUID, at time.Time) error {
	return st.affectOne(ctx, "consume mfa challenge",
		`UPDATE mfa_challenges SET used_at = $2 WHERE id = $1 AND used_at IS NULL`, id, at)
}

// ClaimStepUpAttempt is one upsert: it opens a window, counts into the open
// one, or (the WHERE failing) counts nothing when the window is full.
func (st *MFAStore) ClaimStepUpAttempt(ctx context.Context, sessionID, userID uuid.UUID, now time.Time,
	window time.Duration, max int) (bool, time.Time, error) {
	var start time.Time
	err := st.db.conn(ctx).QueryRow(ctx, `
		INSERT INTO step_up_attempts AS a (session_id, user_id, window_start, attempts) VALUES ($1, $2, $3, 1)
		ON CONFLICT (session_id) DO UPDATE SET
			attempts     = CASE WHEN a.window_start <= $4 THEN 1 ELSE a.attempts + 1 END,
			window_start = CASE WHEN a.window_start <= $4 THEN excluded.window_start ELSE a.window_start END
		WHERE a.window_start <= $4 OR a.attempts < $5
		RETURNING window_start`, sessionID, userID, now, now.Add(-window), max).Scan(&start)
	if err == nil {
		return true, start, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return false, time.Time{}, fmt.Errorf("postgres: claim step-up attempt: %w", err)
	}
	err = st.db.conn(ctx).QueryRow(ctx,
		`SELECT window_start FROM step_up_attempts WHERE session_id = $1`, sessionID).Scan(&start)
	if err != nil {
		return false, time.Time{}, fmt.Errorf("postgres: step-up window: %w", err)
	}
	return false, start, nil
}

// ClearStepUpAttempts forgets the session's attempts.
func (st *MFAStore) ClearStepUpAttempts(ctx context.Context, sessionID uuid.UUID) error {
	if _, err := st.db.conn(ctx).Exec(ctx, `DELETE FROM step_up_attempts WHERE session_id = $1`, sessionID); err != nil {
		return fmt.Errorf("postgres: clear step-up attempts: %w", err)
	}
	return nil
}

// affectOne runs an UPDATE that must touch exactly one row: auth.ErrNotFound
// when its condition held for none.
func (st *MFAStore) affectOne(ctx context.Context, what, sql string, args ...any) error {
	tag, err := st.db.conn(ctx).Exec(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", what, err)
	}
	if tag.RowsAffected() == 0 {
		return auth.ErrNotFound
	}
	return nil
}

// InstanceSecret returns the secret stored under name, generating and
// storing it first when there is none. Concurrent first starts (API and
// worker together) agree on one value: the insert does nothing on conflict
// and everyone reads back what won.
func (db *DB) InstanceSecret(ctx context.Context, name string, generate func() ([]byte, error)) (value []byte, created bool, err error) {
	fresh, err := generate()
	if err != nil {
		return nil, false, fmt.Errorf("postgres: generate %s: %w", name, err)
	}
	tag, err := db.conn(ctx).Exec(ctx,
		`INSERT INTO instance_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, fresh)
	if err != nil {
		return nil, false, fmt.Errorf("postgres: store %s: %w", name, err)
	}
	if err := db.conn(ctx).QueryRow(ctx, `SELECT value FROM instance_secrets WHERE name = $1`, name).Scan(&value); err != nil {
		return nil, false, fmt.Errorf("postgres: read %s: %w", name, err)
	}
	return value, tag.RowsAffected() == 1, nil
}

// DeleteMFAChallengesBefore reads mfa_challenges_expires_at_idx.
func (st *MFAStore) DeleteMFAChallengesBefore(ctx context.Context, before time.Time) (int, error) {
	tag, err := st.db.conn(ctx).Exec(ctx, `DELETE FROM mfa_challenges WHERE expires_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete old mfa challenges: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
