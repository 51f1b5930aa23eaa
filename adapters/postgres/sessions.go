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
)

// SessionStore implements ports.SessionStore on device_sessions.
type SessionStore struct{ db *DB }

// NewSessionStore returns a SessionStore on db.
func NewSessionStore(db *DB) *SessionStore { return &SessionStore{db: db} }

const sessionColumns = `s.id, s.user_id, s.token_hash, s.ip, s.user_agent, s.device_name, s.browser,
	s.os, s.device_type, s.auth_method, s.amr, s.created_at, s.last_active_at, s.expires_at,
	s.reauthenticated_at, s.revoked_at`

func scanSession(row pgx.Row, extra ...any) (auth.Session, error) {
	var s auth.Session
	var ip *netip.Addr
	dest := append([]any{&s.ID, &s.UserID, &s.TokenHash, &ip, &s.UserAgent, &s.Device.Name,
		&s.Device.Browser, &s.Device.OS, &s.Device.Type, &s.AuthMethod, &s.AMR, &s.CreatedAt,
		&s.LastActiveAt, &s.ExpiresAt, &s.ReauthenticatedAt, &s.RevokedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return s, auth.ErrNotFound
		}
		return s, err
	}
	if ip != nil {
		s.IP = *ip
	}
	return s, nil
}

func nullableIP(ip netip.Addr) *netip.Addr {
	if !ip.IsValid() {
		return nil
	}
	return &ip
}

// CreateSession inserts s.
func (st *SessionStore) CreateSession(ctx context.Context, s auth.Session) error {
	_, err := st.db.conn(ctx).Exec(ctx, `
		INSERT INTO device_sessions (id, user_id, token_hash, ip, user_agent, device_name, browser,
			os, device_type, auth_method, amr, created_at, last_active_at, expires_at, reauthenticated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		s.ID, s.UserID, s.TokenHash, nullableIP(s.IP), s.UserAgent, s.Device.Name, s.Device.Browser,
		s.Device.OS, s.Device.Type, s.AuthMethod, s.AMR, s.CreatedAt, s.LastActiveAt, s.ExpiresAt,
		s.ReauthenticatedAt)
	if err != nil {
		return fmt.Errorf("postgres: create session: %w", err)
	}
	return nil
}

// findByTokenSQL is the per-request lookup: one probe of the unique
// token_hash index, joined to its user by primary key.
const findByTokenSQL = `
	SELECT ` + sessionColumns + `, ` + userColumns + `
	FROM device_sessions s JOIN users u ON u.id = s.user_id
	WHERE s.token_hash = $1 AND s.revoked_at IS NULL`

// FindSessionByTokenHash runs on every authenticated request.
func (st *SessionStore) FindSessionByTokenHash(ctx context.Context, hash []byte) (auth.Session, auth.User, error) {
	var u auth.User
	s, err := scanSession(st.db.conn(ctx).QueryRow(ctx, findByTokenSQL, hash),
		&u.ID, &u.Email, &u.EmailVerified, &u.PasswordHash, &u.CreatedAt, &u.UpdatedAt, &u.DeletionAt)
	if err != nil && !errors.Is(err, auth.ErrNotFound) {
		return s, u, fmt.Errorf("postgres: find session: %w", err)
	}
	return s, u, err
}

// ListSessionsByUser lists live sessions, most recently active first.
func (st *SessionStore) ListSessionsByUser(ctx context.Context, userID uuid.UUID, now time.Time) ([]auth.Session, error) {
	rows, err := st.db.conn(ctx).Query(ctx, `
		SELECT `+sessionColumns+` FROM device_sessions s
		WHERE s.user_id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2
		ORDER BY s.last_active_at DESC, s.created_at DESC`, userID, now)
	if err != nil {
		return nil, fmt.Errorf("postgres: list sessions: %w", err)
	}
	defer rows.Close()
	var out []auth.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: list sessions: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// TouchSession records activity; auth.ErrNotFound when the session is revoked.
func (st *SessionStore) TouchSession(ctx context.Context, id uuid.UUID, at time.Time) error {
	tag, err := st.db.conn(ctx).Exec(ctx,
		`UPDATE device_sessions SET last_active_at = $2 WHERE id = $1 AND revoked_at IS NULL`, id, at)
	if err != nil {
		return fmt.Errorf("postgres: touch session: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return auth.ErrNotFound
	}
	return nil
}

// RevokeSession revokes one live session of the user.
func (st *SessionStore) RevokeSession(ctx context.Context, userID, id uuid.UUID, at time.Time) error {
	tag, err := st.db.conn(ctx).Exec(ctx, `
		UPDATE device_sessions SET revoked_at = $3
		WHERE id = $2 AND user_id = $1 AND revoked_at IS NULL`, userID, id, at)
	if err != nil {
		return fmt.Errorf("postgres: revoke session: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return auth.ErrNotFound
	}
	return nil
}

// RevokeSessionsByUser revokes every live session but except.
func (st *SessionStore) RevokeSessionsByUser(ctx context.Context, userID, except uuid.UUID, at time.Time) (int, error) {
	tag, err := st.db.conn(ctx).Exec(ctx, `
		UPDATE device_sessions SET revoked_at = $3
		WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL`, userID, except, at)
	if err != nil {
		return 0, fmt.Errorf("postgres: revoke sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// FindSessionByID finds a session in any state, revoked ones included.
func (st *SessionStore) FindSessionByID(ctx context.Context, id uuid.UUID) (auth.Session, error) {
	s, err := scanSession(st.db.conn(ctx).QueryRow(ctx,
		`SELECT `+sessionColumns+` FROM device_sessions s WHERE s.id = $1`, id))
	if err != nil && !errors.Is(err, auth.ErrNotFound) {
		return s, fmt.Errorf("postgres: find session by id: %w", err)
	}
	return s, err
}

// rotateSQL swaps the token hash and records the authentication in one
// statement, so two concurrent step-ups cannot lose each other's method.
const rotateSQL = `
	UPDATE device_sessions AS s SET token_hash = $2, reauthenticated_at = $4,
		last_active_at = greatest(s.last_active_at, $4),
		amr = CASE WHEN $3::text = ANY (s.amr) THEN s.amr ELSE array_append(s.amr, $3::text) END
	WHERE s.id = $1 AND s.revoked_at IS NULL
	RETURNING ` + sessionColumns

// RotateSessionToken replaces a live session's token hash; the old token
// stops matching when the statement commits.
func (st *SessionStore) RotateSessionToken(ctx context.Context, id uuid.UUID, hash []byte, method string, at time.Time) (auth.Session, error) {
	s, err := scanSession(st.db.conn(ctx).QueryRow(ctx, rotateSQL, id, hash, method, at))
	if err != nil && !errors.Is(err, auth.ErrNotFound) {
		return s, fmt.Errorf("postgres: rotate session token: %w", err)
	}
	return s, err
}

// deviceSeenSQL probes device_sessions_device_idx (user_id, device_name,
// last_active_at), which, unlike the listing index, keeps revoked rows: signing
// out does not make a device new.
const deviceSeenSQL = `
	SELECT EXISTS (SELECT 1 FROM device_sessions WHERE user_id = $1),
		EXISTS (SELECT 1 FROM device_sessions
			WHERE user_id = $1 AND device_name = $2 AND last_active_at >= $4 AND ip <<= $3)`

// DeviceSeen backs the new-device alert.
func (st *SessionStore) DeviceSeen(ctx context.Context, userID uuid.UUID, deviceName string, network netip.Prefix, since time.Time) (anySession, seen bool, err error) {
	err = st.db.conn(ctx).QueryRow(ctx, deviceSeenSQL, userID, deviceName, network, since).Scan(&anySession, &seen)
	if err != nil {
		return false, false, fmt.Errorf("postgres: device seen: %w", err)
	}
	return anySession, seen, nil
}

// deleteExpiredSQL finds its rows through device_sessions_expires_at_idx,
// and each row's newer sibling through the user's index.
const deleteExpiredSQL = `
	DELETE FROM device_sessions WHERE id IN (
		SELECT d.id FROM device_sessions d
		WHERE d.expires_at < $1 AND EXISTS (
			SELECT 1 FROM device_sessions n WHERE n.user_id = d.user_id AND n.created_at > d.created_at)
		LIMIT $2)`

// DeleteExpiredSessions implements ports.SessionStore. Their step-up
// attempts and SAML requests go with them (ON DELETE CASCADE), and the
// invalidation trigger tells every cache.
func (st *SessionStore) DeleteExpiredSessions(ctx context.Context, before time.Time, limit int) (int, error) {
	tag, err := st.db.conn(ctx).Exec(ctx, deleteExpiredSQL, before, limit)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete expired sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
