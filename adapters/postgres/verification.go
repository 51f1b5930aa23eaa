package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"authd/core/auth"
	"authd/ports"
)

// VerificationStore implements ports.VerificationStore on email_verifications,
// ports.EmailRequestLog on email_requests and ports.EmailChangeStore on
// email_changes.
type VerificationStore struct{ db *DB }

// NewVerificationStore returns a VerificationStore on db.
func NewVerificationStore(db *DB) *VerificationStore { return &VerificationStore{db: db} }

const verificationColumns = `id, user_id, token_hash, email, purpose, expires_at, used_at, created_at`

func scanVerification(row pgx.Row) (ports.Verification, error) {
	var v ports.Verification
	var purpose string
	err := row.Scan(&v.ID, &v.UserID, &v.TokenHash, &v.Email, &purpose, &v.ExpiresAt, &v.UsedAt, &v.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return v, auth.ErrNotFound
	}
	v.Purpose = ports.VerificationPurpose(purpose)
	return v, err
}

func purposeStrings(ps []ports.VerificationPurpose) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}

// ReplaceVerification deletes, then inserts. In a transaction, the delete
// locks the rows a concurrent consume would need, so a voided token can never
// be consumed after its replacement commits; and concurrent replacements for
// one user and purpose take turns, so the second voids the first's token
// rather than collide with it on email_verifications_user_purpose_key.
func (s *VerificationStore) ReplaceVerification(ctx context.Context, v ports.Verification) error {
	if err := s.lock(ctx, "email_verifications:"+v.UserID.String()+":"+string(v.Purpose)); err != nil {
		return err
	}
	q := s.db.conn(ctx)
	if _, err := q.Exec(ctx, `
		DELETE FROM email_verifications WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`,
		v.UserID, string(v.Purpose)); err != nil {
		return fmt.Errorf("postgres: void verifications: %w", err)
	}
	if _, err := q.Exec(ctx, `
		INSERT INTO email_verifications (`+verificationColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		v.ID, v.UserID, v.TokenHash, v.Email, string(v.Purpose), v.ExpiresAt, v.UsedAt, v.CreatedAt); err != nil {
		return fmt.Errorf("postgres: create verification: %w", err)
	}
	return nil
}

// ConsumeVerification is one conditional UPDATE: of two concurrent calls the
// second waits on the row lock, then re-checks used_at and finds it set.
func (s *VerificationStore) ConsumeVerification(ctx context.Context, hash []byte, now time.Time, purposes ...ports.VerificationPurpose) (ports.Verification, error) {
	v, err := scanVerification(s.db.conn(ctx).QueryRow(ctx, `
		UPDATE email_verifications SET used_at = $2
		WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 AND purpose = ANY($3)
		RETURNING `+verificationColumns, hash, now, purposeStrings(purposes)))
	if err != nil && !errors.Is(err, auth.ErrNotFound) {
		return v, fmt.Errorf("postgres: consume verification: %w", err)
	}
	return v, err
}

// FindUsableVerification is ConsumeVerification's WHERE clause, read only.
func (s *VerificationStore) FindUsableVerification(ctx context.Context, hash []byte, now time.Time, purposes ...ports.VerificationPurpose) (ports.Verification, error) {
	v, err := scanVerification(s.db.conn(ctx).QueryRow(ctx, `
		SELECT `+verificationColumns+` FROM email_verifications
		WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 AND purpose = ANY($3)`,
		hash, now, purposeStrings(purposes)))
	if err != nil && !errors.Is(err, auth.ErrNotFound) {
		return v, fmt.Errorf("postgres: find verification: %w", err)
	}
	return v, err
}

// FindPendingVerification reads email_verifications_user_purpose_key.
func (s *VerificationStore) FindPendingVerification(ctx context.Context, userID uuid.UUID, purpose ports.VerificationPurpose, now time.Time) (ports.Verification, error) {
	v, err := scanVerification(s.db.conn(ctx).QueryRow(ctx, `
		SELECT `+verificationColumns+` FROM email_verifications
		WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
		ORDER BY created_at DESC LIMIT 1`, userID, string(purpose), now))
	if err != nil && !errors.Is(err, auth.ErrNotFound) {
		return v, fmt.Errorf("postgres: find pending verification: %w", err)
	}
	return v, err
}

// DeleteStaleVerifications deletes used and long-expired tokens.
func (s *VerificationStore) DeleteStaleVerifications(ctx context.Context, expiredBefore time.Time) (int, error) {
	tag, err := s.db.conn(ctx).Exec(ctx, `
		DELETE FROM email_verifications WHERE used_at IS NOT NULL OR expires_at < $1`, expiredBefore)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete stale verifications: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// RecordEmailRequest implements ports.EmailRequestLog.
func (s *VerificationStore) RecordEmailRequest(ctx context.Context, r ports.EmailRequest) error {
	var userID *uuid.UUID
	if r.UserID != uuid.Nil {
		userID = &r.UserID
	}
	_, err := s.db.conn(ctx).Exec(ctx, `
		INSERT INTO email_requests (user_id, purpose, ip, created_at) VALUES ($1, $2, $3, $4)`,
		userID, string(r.Purpose), nullableIP(r.IP), r.CreatedAt)
	if err != nil {
		return fmt.Errorf("postgres: record email request: %w", err)
	}
	return nil
}

// lock takes a transaction-scoped advisory lock on key, so that a read and
// the write that follows it are not interleaved with another transaction's
// for the same key. Outside a transaction it does nothing: a statement's own
// lock would end before the write anyway.
func (s *VerificationStore) lock(ctx context.Context, key string) error {
	tx, ok := TxFromContext(ctx)
	if !ok {
		return nil
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, key); err != nil {
		return fmt.Errorf("postgres: lock %s: %w", key, err)
	}
	return nil
}

func collectTimes(rows pgx.Rows, err error) ([]time.Time, error) {
	if err != nil {
		return nil, fmt.Errorf("postgres: email request times: %w", err)
	}
	times, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
	if err != nil {
		return nil, fmt.Errorf("postgres: email request times: %w", err)
	}
	return times, nil
}

// EmailRequestTimesByUser reads email_requests_user_idx.
func (s *VerificationStore) EmailRequestTimesByUser(ctx context.Context, userID uuid.UUID, purpose ports.VerificationPurpose, since time.Time) ([]time.Time, error) {
	if err := s.lock(ctx, "email_requests:user:"+userID.String()+":"+string(purpose)); err != nil {
		return nil, err
	}
	return collectTimes(s.db.conn(ctx).Query(ctx, `
		SELECT created_at FROM email_requests
		WHERE user_id = $1 AND purpose = $2 AND created_at >= $3
		ORDER BY created_at DESC`, userID, string(purpose), since))
}

// EmailRequestTimesByIP reads email_requests_ip_idx.
func (s *VerificationStore) EmailRequestTimesByIP(ctx context.Context, ip netip.Addr, purpose ports.VerificationPurpose, since time.Time) ([]time.Time, error) {
	if !ip.IsValid() {
		return nil, nil
	}
	if err := s.lock(ctx, "email_requests:ip:"+ip.String()+":"+string(purpose)); err != nil {
		return nil, err
	}
	return collectTimes(s.db.conn(ctx).Query(ctx, `
		SELECT created_at FROM email_requests
		WHERE ip = $1 AND purpose = $2 AND created_at >= $3
		ORDER BY created_at DESC`, ip, string(purpose), since))
}

// DeleteEmailRequestsBefore implements ports.EmailRequestLog.
func (s *VerificationStore) DeleteEmailRequestsBefore(ctx context.Context, t time.Time) (int, error) {
	tag, err := s.db.conn(ctx).Exec(ctx, `DELETE FROM email_requests WHERE created_at < $1`, t)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete email requests: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// CreateEmailChange implements ports.EmailChangeStore.
func (s *VerificationStore) CreateEmailChange(ctx context.Context, c ports.EmailChange) error {
	_, err := s.db.conn(ctx).Exec(ctx, `
		INSERT INTO email_changes (id, user_id, old_email, new_email, changed_at) VALUES ($1, $2, $3, $4, $5)`,
		c.ID, c.UserID, c.OldEmail, c.NewEmail, c.ChangedAt)
	if err != nil {
		return fmt.Errorf("postgres: create email change: %w", err)
	}
	return nil
}

// FindEmailChange returns auth.ErrNotFound when there is no such change.
func (s *VerificationStore) FindEmailChange(ctx context.Context, id uuid.UUID) (ports.EmailChange, error) {
	var c ports.EmailChange
	err := s.db.conn(ctx).QueryRow(ctx, `
		SELECT id, user_id, old_email, new_email, changed_at FROM email_changes WHERE id = $1`, id).
		Scan(&c.ID, &c.UserID, &c.OldEmail, &c.NewEmail, &c.ChangedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, auth.ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("postgres: find email change: %w", err)
	}
	return c, nil
}
