package postgres

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"authd/ports"
)

// ActivityStore implements ports.SecurityEventStore on security_events.
type ActivityStore struct{ db *DB }

// NewActivityStore returns an ActivityStore on db.
func NewActivityStore(db *DB) *ActivityStore { return &ActivityStore{db: db} }

const eventColumns = `e.id, e.user_id, e.kind, e.ip, e.user_agent, e.device_name, e.detail, e.created_at`

func scanEvent(row pgx.Row) (ports.SecurityEvent, error) {
	var e ports.SecurityEvent
	var ip *netip.Addr
	var kind string
	if err := row.Scan(&e.ID, &e.UserID, &kind, &ip, &e.UserAgent, &e.DeviceName, &e.Detail, &e.CreatedAt); err != nil {
		return e, err
	}
	e.Kind = ports.EventKind(kind)
	if ip != nil {
		e.IP = *ip
	}
	if e.Detail == nil {
		e.Detail = map[string]string{}
	}
	return e, nil
}

// CreateSecurityEvent inserts e.
func (s *ActivityStore) CreateSecurityEvent(ctx context.Context, e ports.SecurityEvent) error {
	detail := e.Detail
	if detail == nil {
		detail = map[string]string{}
	}
	_, err := s.db.conn(ctx).Exec(ctx, `
		INSERT INTO security_events (id, user_id, kind, ip, user_agent, device_name, detail, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		e.ID, e.UserID, string(e.Kind), nullableIP(e.IP), e.UserAgent, e.DeviceName, detail, e.CreatedAt)
	if err != nil {
		return fmt.Errorf("postgres: create security event: %w", err)
	}
	return nil
}

// ListSecurityEventsByUser reads security_events_user_id_created_at_idx
// backwards from the newest.
func (s *ActivityStore) ListSecurityEventsByUser(ctx context.Context, userID uuid.UUID, limit int) ([]ports.SecurityEvent, error) {
	var lim *int // NULL: LIMIT ALL
	if limit > 0 {
		lim = &limit
	}
	rows, err := s.db.conn(ctx).Query(ctx, `
		SELECT `+eventColumns+` FROM security_events e WHERE e.user_id = $1
		ORDER BY e.created_at DESC, e.id DESC LIMIT $2`, userID, lim)
	if err != nil {
		return nil, fmt.Errorf("postgres: list security events: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ports.SecurityEvent, error) { return scanEvent(row) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list security events: %w", err)
	}
	return out, nil
}

// DeleteSecurityEventsBefore reads security_events_created_at_idx.
func (s *ActivityStore) DeleteSecurityEventsBefore(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.db.conn(ctx).Exec(ctx, `DELETE FROM security_events WHERE created_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete old security events: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
