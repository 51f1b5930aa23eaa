package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"authd/core/auth"
	"authd/ports"
)

// ExportUserData reads everything stored about the user. Outside a
// transaction it opens a read-only repeatable-read one, so that every read
// sees the same snapshot; inside one it joins it.
func (s *DeletionStore) ExportUserData(ctx context.Context, userID uuid.UUID) (ports.UserData, error) {
	if _, ok := TxFromContext(ctx); ok {
		return s.exportUserData(ctx, userID)
	}
	tx, err := s.db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return ports.UserData{}, fmt.Errorf("postgres: export: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	return s.exportUserData(context.WithValue(ctx, txKey{}, tx), userID)
}

func (s *DeletionStore) exportUserData(ctx context.Context, userID uuid.UUID) (ports.UserData, error) {
	var d ports.UserData
	var err error
	q := s.db.conn(ctx)
	if d.User, err = NewUserStore(s.db).FindUserByID(ctx, userID); err != nil {
		return d, err
	}
	rows, err := q.Query(ctx, `SELECT `+sessionColumns+` FROM device_sessions s WHERE s.user_id = $1
		ORDER BY s.created_at DESC, s.id`, userID)
	if d.Sessions, err = collect(rows, err, func(r pgx.CollectableRow) (auth.Session, error) {
		sess, err := scanSession(r)
		sess.TokenHash = nil
		return sess, err
	}); err != nil {
		return d, fmt.Errorf("postgres: export sessions: %w", err)
	}
	if d.Events, err = NewActivityStore(s.db).ListSecurityEventsByUser(ctx, userID, 0); err != nil {
		return d, err
	}
	rows, err = q.Query(ctx, `
		SELECT i.id, i.user_id, i.provider_id, i.name_id, i.created_at, i.last_login_at, p.domain
		FROM saml_identities i JOIN saml_providers p ON p.id = i.provider_id
		WHERE i.user_id = $1 ORDER BY i.last_login_at DESC, i.id`, userID)
	if d.Identities, err = collect(rows, err, func(r pgx.CollectableRow) (ports.LinkedIdentity, error) {
		var li ports.LinkedIdentity
		err := r.Scan(&li.ID, &li.UserID, &li.ProviderID, &li.NameID, &li.CreatedAt, &li.LastLoginAt, &li.ProviderDomain)
		return li, err
	}); err != nil {
		return d, fmt.Errorf("postgres: export identities: %w", err)
	}
	err = q.QueryRow(ctx, `
		SELECT (SELECT confirmed_at FROM totp_credentials WHERE user_id = $1),
			(SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL)`, userID).
		Scan(&d.TOTPEnabledAt, &d.RecoveryCodesLeft)
	if err != nil {
		return d, fmt.Errorf("postgres: export mfa: %w", err)
	}
	rows, err = q.Query(ctx, `SELECT id, user_id, old_email, new_email, changed_at FROM email_changes
		WHERE user_id = $1 ORDER BY changed_at DESC, id`, userID)
	if d.EmailChanges, err = collect(rows, err, func(r pgx.CollectableRow) (ports.EmailChange, error) {
		var c ports.EmailChange
		err := r.Scan(&c.ID, &c.UserID, &c.OldEmail, &c.NewEmail, &c.ChangedAt)
		return c, err
	}); err != nil {
		return d, fmt.Errorf("postgres: export email changes: %w", err)
	}
	rows, err = q.Query(ctx, `SELECT purpose, ip, created_at FROM email_requests
		WHERE user_id = $1 ORDER BY created_at DESC, id DESC`, userID)
	if d.EmailRequests, err = collect(rows, err, func(r pgx.CollectableRow) (ports.EmailRequest, error) {
		req := ports.EmailRequest{UserID: userID}
		var purpose string
		var ip *netip.Addr
		err := r.Scan(&purpose, &ip, &req.CreatedAt)
		req.Purpose = ports.VerificationPurpose(purpose)
		if ip != nil {
			req.IP = *ip
		}
		return req, err
	}); err != nil {
		return d, fmt.Errorf("postgres: export email requests: %w", err)
	}
	del, err := s.findBy(ctx, "user_id", userID, false)
	switch {
	case err == nil:
		d.Deletion = &del
	case !errors.Is(err, auth.ErrNotFound):
		return d, err
	}
	return d, nil
}

// collect gathers the rows of a query into a slice, never nil, so that an
// export shows an empty list as [] rather than null.
func collect[T any](rows pgx.Rows, err error, scan pgx.RowToFunc[T]) ([]T, error) {
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, scan)
	if out == nil {
		out = []T{}
	}
	return out, err
}
