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

// DeletionStore implements ports.DeletionStore and ports.UserDataStore.
type DeletionStore struct{ db *DB }

// NewDeletionStore returns a DeletionStore on db.
func NewDeletionStore(db *DB) *DeletionStore { return &DeletionStore{db: db} }

// ErrNoTx is returned by the store methods that must be atomic and so run
// only inside the caller's transaction.
var ErrNoTx = errors.New("postgres: outside a transaction")

const deletionColumns = `d.id, d.user_id, d.requested_at, d.execute_at, d.cancelled, d.cancelled_at, d.job_id`

func scanDeletion(row pgx.Row) (ports.DeletionRequest, error) {
	var r ports.DeletionRequest
	err := row.Scan(&r.ID, &r.UserID, &r.RequestedAt, &r.ExecuteAt, &r.Cancelled, &r.CancelledAt, &r.JobID)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, auth.ErrNotFound
	}
	return r, err
}

// findBy reads the request whose column is id. With lock, inside a
// transaction, it locks the row until the transaction ends; outside one the
// lock would end with the statement, so it takes none.
func (s *DeletionStore) findBy(ctx context.Context, column string, id uuid.UUID, lock bool) (ports.DeletionRequest, error) {
	sql := `SELECT ` + deletionColumns + ` FROM deletion_requests d WHERE d.` + column + ` = $1`
	if _, inTx := TxFromContext(ctx); lock && inTx {
		sql += ` FOR UPDATE`
	}
	r, err := scanDeletion(s.db.conn(ctx).QueryRow(ctx, sql, id))
	if err != nil && !errors.Is(err, auth.ErrNotFound) {
		return r, fmt.Errorf("postgres: find deletion request: %w", err)
	}
	return r, err
}

// FindDeletionRequestByUser reads deletion_requests_user_id_key.
func (s *DeletionStore) FindDeletionRequestByUser(ctx context.Context, userID uuid.UUID) (ports.DeletionRequest, error) {
	return s.findBy(ctx, "user_id", userID, true)
}

// FindDeletionRequest reads the primary key.
func (s *DeletionStore) FindDeletionRequest(ctx context.Context, id uuid.UUID) (ports.DeletionRequest, error) {
	return s.findBy(ctx, "id", id, true)
}

// saveDeletionSQL inserts, or overwrites the user's cancelled request of the
// same ID. A pending one is left alone and no row is affected, which also
// covers a pending request inserted concurrently: the insert waits for it
// and then meets the conflict.
const saveDeletionSQL = `
	INSERT INTO deletion_requests (id, user_id, requested_at, execute_at, cancelled, cancelled_at, job_id)
	VALUES ($1, $2, $3, $4, false, NULL, $5)
	ON CONFLICT (user_id) DO UPDATE SET requested_at = EXCLUDED.requested_at,
		execute_at = EXCLUDED.execute_at, cancelled = false, cancelled_at = NULL, job_id = EXCLUDED.job_id
	WHERE deletion_requests.cancelled AND deletion_requests.id = EXCLUDED.id`

// SaveDeletionRequest returns auth.ErrDeletionPending when the user has a
// pending request.
func (s *DeletionStore) SaveDeletionRequest(ctx context.Context, r ports.DeletionRequest) error {
	if r.Cancelled {
		return errors.New("postgres: save deletion request: a cancelled request is not saved")
	}
	tag, err := s.db.conn(ctx).Exec(ctx, saveDeletionSQL, r.ID, r.UserID, r.RequestedAt, r.ExecuteAt, r.JobID)
	if err != nil {
		return fmt.Errorf("postgres: save deletion request: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return auth.ErrDeletionPending
	}
	s.db.changedUser(ctx, r.UserID) // the user's lookups now tell the deletion
	return nil
}

// CancelDeletionRequest cancels the pending request in one conditional
// update, so of two concurrent cancels one succeeds.
func (s *DeletionStore) CancelDeletionRequest(ctx context.Context, userID uuid.UUID, at time.Time) (ports.DeletionRequest, error) {
	r, err := scanDeletion(s.db.conn(ctx).QueryRow(ctx, `
		UPDATE deletion_requests d SET cancelled = true, cancelled_at = $2
		WHERE d.user_id = $1 AND NOT d.cancelled
		RETURNING `+deletionColumns, userID, at))
	if err != nil && !errors.Is(err, auth.ErrNotFound) {
		return r, fmt.Errorf("postgres: cancel deletion request: %w", err)
	}
	if err == nil {
		s.db.changedUser(ctx, userID)
	}
	return r, err
}

// deleteJobsSQL removes the user's jobs from River's table, which no foreign
// key ties to users. Job args name users only under user_id, and deletion
// requests under deletion_request_id, which two partial expression indexes
// find by a probe. Error messages are free text (an SMTP refusal may quote
// the address): they are searched for the user's ID and for the address as a
// whole word (a longer address that contains it is another person's), but
// only in the jobs that have errors, which river_job_errors_idx lists. So a
// delete costs index probes, not a scan of every job River keeps.
const deleteJobsSQL = `
	DELETE FROM river_job j
	WHERE j.id <> $3 AND j.id IN (
		SELECT id FROM river_job WHERE args ? 'user_id' AND args ->> 'user_id' = $1::uuid::text
		UNION
		SELECT id FROM river_job WHERE args ? 'deletion_request_id' AND args ->> 'deletion_request_id' =
			(SELECT d.id::text FROM deletion_requests d WHERE d.user_id = $1::uuid)
		UNION
		SELECT id FROM river_job WHERE errors IS NOT NULL AND (strpos(errors::text, $1::uuid::text) > 0
			OR lower(errors::text) ~ ('(^|[^a-z0-9._%+-])'
				|| regexp_replace(lower($2::text), '([.^$*+?()\[\]{}|\\])', '\\\1', 'g') || '($|[^a-z0-9._-])')))`

// DeleteUserData runs inside the caller's transaction only, so that its
// statements commit together. The user's row is locked first: a transaction
// that adds a row about the user (a session, a job beside it) takes a key
// share lock on it through its foreign key, so it either committed before,
// and its job is seen by the statements below (each reads afresh), or it
// waits and then fails on the deleted key. Every table that references
// users does so ON DELETE CASCADE, so deleting the user deletes every row
// about them; the test that fills every table and scans the whole schema
// afterwards holds later tables to that.
func (s *DeletionStore) DeleteUserData(ctx context.Context, userID uuid.UUID, keepJobID int64) (string, error) {
	tx, ok := TxFromContext(ctx)
	if !ok {
		return "", fmt.Errorf("postgres: delete user data: %w", ErrNoTx)
	}
	var email string
	err := tx.QueryRow(ctx, `SELECT email FROM users WHERE id = $1 FOR UPDATE`, userID).Scan(&email)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", auth.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("postgres: delete user data: lock user: %w", err)
	}
	if _, err := tx.Exec(ctx, deleteJobsSQL, userID, email, keepJobID); err != nil {
		return "", fmt.Errorf("postgres: delete user data: jobs: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM users WHERE id = $1`, userID); err != nil {
		return "", fmt.Errorf("postgres: delete user data: user: %w", err)
	}
	s.db.changedUser(ctx, userID)
	return email, nil
}

// CreateDeletionNotice inserts n.
func (s *DeletionStore) CreateDeletionNotice(ctx context.Context, n ports.DeletionNotice) error {
	_, err := s.db.conn(ctx).Exec(ctx,
		`INSERT INTO deletion_notices (id, email, created_at) VALUES ($1, $2, $3)`, n.ID, n.Email, n.CreatedAt)
	if err != nil {
		return fmt.Errorf("postgres: create deletion notice: %w", err)
	}
	return nil
}

// FindDeletionNotice returns auth.ErrNotFound when there is no such notice.
func (s *DeletionStore) FindDeletionNotice(ctx context.Context, id uuid.UUID) (ports.DeletionNotice, error) {
	n := ports.DeletionNotice{ID: id}
	err := s.db.conn(ctx).QueryRow(ctx, `SELECT email, created_at FROM deletion_notices WHERE id = $1`, id).
		Scan(&n.Email, &n.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return n, auth.ErrNotFound
	}
	if err != nil {
		return n, fmt.Errorf("postgres: find deletion notice: %w", err)
	}
	return n, nil
}

// DeleteDeletionNotice removes the notice, if any.
func (s *DeletionStore) DeleteDeletionNotice(ctx context.Context, id uuid.UUID) error {
	if _, err := s.db.conn(ctx).Exec(ctx, `DELETE FROM deletion_notices WHERE id = $1`, id); err != nil {
		return fmt.Errorf("postgres: delete deletion notice: %w", err)
	}
	return nil
}
