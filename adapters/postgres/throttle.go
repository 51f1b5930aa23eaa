package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"authd/core/auth"
	"authd/ports"
)

// ThrottleStore implements ports.ThrottleStore on account_lockouts and
// rate_limits.
type ThrottleStore struct{ db *DB }

// NewThrottleStore returns a ThrottleStore on db.
func NewThrottleStore(db *DB) *ThrottleStore { return &ThrottleStore{db: db} }

const runColumns = `failures, last_attempt_at, last_failure_at, locked_until`

// LockAccountFailures upserts the row so that there is one to lock even for
// an account's first attempt: a SELECT ... FOR UPDATE of a missing row locks
// nothing, and two first attempts would both count from zero. The no-op
// update takes the row lock until the transaction ends.
func (st *ThrottleStore) LockAccountFailures(ctx context.Context, userID uuid.UUID) (ports.AccountFailures, error) {
	tx, ok := TxFromContext(ctx)
	if !ok {
		return ports.AccountFailures{}, fmt.Errorf("postgres: lock account failures: %w", ErrNoTx)
	}
	f, err := scanRun(userID, tx.QueryRow(ctx, `
		INSERT INTO account_lockouts AS a (user_id) VALUES ($1)
		ON CONFLICT (user_id) DO UPDATE SET failures = a.failures
		RETURNING `+runColumns, userID))
	if foreignKeyViolation(err) {
		return f, auth.ErrNotFound
	}
	if err != nil {
		return f, fmt.Errorf("postgres: lock account failures: %w", err)
	}
	return f, nil
}

// PutAccountFailures stores f; the zero time is stored as NULL.
func (st *ThrottleStore) PutAccountFailures(ctx context.Context, f ports.AccountFailures) error {
	_, err := st.db.conn(ctx).Exec(ctx, `
		INSERT INTO account_lockouts AS a (user_id, `+runColumns+`) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (user_id) DO UPDATE SET failures = excluded.failures, last_attempt_at = excluded.last_attempt_at,
			last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until`,
		f.UserID, f.Failures, nullTime(f.LastAttemptAt), nullTime(f.LastFailureAt), f.LockedUntil)
	if foreignKeyViolation(err) {
		return auth.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("postgres: put account failures: %w", err)
	}
	return nil
}

// FindAccountFailures reads the run without locking it.
func (st *ThrottleStore) FindAccountFailures(ctx context.Context, userID uuid.UUID) (ports.AccountFailures, error) {
	f, err := scanRun(userID, st.db.conn(ctx).QueryRow(ctx,
		`SELECT `+runColumns+` FROM account_lockouts WHERE user_id = $1`, userID))
	if errors.Is(err, pgx.ErrNoRows) {
		return ports.AccountFailures{UserID: userID}, nil
	}
	if err != nil {
		return f, fmt.Errorf("postgres: find account failures: %w", err)
	}
	return f, nil
}

// DeleteAccountFailures forgets the run.
func (st *ThrottleStore) DeleteAccountFailures(ctx context.Context, userID uuid.UUID) error {
	if _, err := st.db.conn(ctx).Exec(ctx, `DELETE FROM account_lockouts WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("postgres: delete account failures: %w", err)
	}
	return nil
}

// DeleteAccountFailuresBefore deletes the runs over by age.
func (st *ThrottleStore) DeleteAccountFailuresBefore(ctx context.Context, t time.Time) (int, error) {
	tag, err := st.db.conn(ctx).Exec(ctx, `
		DELETE FROM account_lockouts
		WHERE coalesce(last_attempt_at, '-infinity') < $1 AND coalesce(last_failure_at, '-infinity') < $1
			AND coalesce(locked_until, '-infinity') < $1`, t)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete old account failures: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// CountRequest is one upsert: concurrent requests serialise on the window's
// row, and each reads back its own count.
func (st *ThrottleStore) CountRequest(ctx context.Context, key string, windowStart time.Time) (int, error) {
	var n int
	err := st.db.conn(ctx).QueryRow(ctx, `
		INSERT INTO rate_limits AS r (key, window_start, count) VALUES ($1, $2, 1)
		ON CONFLICT (key, window_start) DO UPDATE SET count = r.count + 1
		RETURNING count`, key, windowStart).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgres: count request: %w", err)
	}
	return n, nil
}

// DeleteRequestCountsBefore deletes windows that opened before t.
func (st *ThrottleStore) DeleteRequestCountsBefore(ctx context.Context, t time.Time) (int, error) {
	tag, err := st.db.conn(ctx).Exec(ctx, `DELETE FROM rate_limits WHERE window_start < $1`, t)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete old request counts: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

func scanRun(userID uuid.UUID, row pgx.Row) (ports.AccountFailures, error) {
	f := ports.AccountFailures{UserID: userID}
	var attempt, failure *time.Time
	if err := row.Scan(&f.Failures, &attempt, &failure, &f.LockedUntil); err != nil {
		return f, err
	}
	if attempt != nil {
		f.LastAttemptAt = *attempt
	}
	if failure != nil {
		f.LastFailureAt = *failure
	}
	return f, nil
}

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// foreignKeyViolation reports whether err is one: here, a row about a user
// who does not exist (or was deleted meanwhile).
func foreignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503"
}
