package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"authd/core/auth"
	"authd/ports"
)

// SSOStore implements ports.SAMLProviderStore, ports.SAMLIdentityStore,
// ports.SAMLStateStore and ports.SAMLKeyPairStore.
type SSOStore struct{ db *DB }

// NewSSOStore returns an SSOStore on db.
func NewSSOStore(db *DB) *SSOStore { return &SSOStore{db: db} }

var (
	_ ports.SAMLProviderStore = (*SSOStore)(nil)
	_ ports.SAMLIdentityStore = (*SSOStore)(nil)
	_ ports.SAMLStateStore    = (*SSOStore)(nil)
	_ ports.SAMLKeyPairStore  = (*SSOStore)(nil)
)

const samlProviderColumns = `id, domain, entity_id, sso_login_url, certificates, enforce_sso,
	allow_idp_initiated, created_at, updated_at`

func scanSAMLProvider(row pgx.Row) (auth.SAMLProvider, error) {
	var p auth.SAMLProvider
	err := row.Scan(&p.ID, &p.Domain, &p.EntityID, &p.SSOURL, &p.Certificates, &p.EnforceSSO,
		&p.AllowIdPInitiated, &p.CreatedAt, &p.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return auth.SAMLProvider{}, auth.ErrNotFound
	}
	return p, err
}

func (s *SSOStore) findProvider(ctx context.Context, where string, arg any) (auth.SAMLProvider, error) {
	p, err := scanSAMLProvider(s.db.conn(ctx).QueryRow(ctx, `SELECT `+samlProviderColumns+` FROM saml_providers WHERE `+where, arg))
	if err != nil && !errors.Is(err, auth.ErrNotFound) {
		return p, fmt.Errorf("postgres: find saml provider: %w", err)
	}
	return p, err
}

func (s *SSOStore) listProviders(ctx context.Context, sql string, args ...any) ([]auth.SAMLProvider, error) {
	rows, err := s.db.conn(ctx).Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list saml providers: %w", err)
	}
	defer rows.Close()
	out := []auth.SAMLProvider{}
	for rows.Next() {
		p, err := scanSAMLProvider(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: list saml providers: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list saml providers: %w", err)
	}
	return out, nil
}

// CreateSAMLProvider returns auth.ErrDomainTaken on saml_providers_domain_key.
func (s *SSOStore) CreateSAMLProvider(ctx context.Context, p auth.SAMLProvider) error {
	_, err := s.db.conn(ctx).Exec(ctx, `INSERT INTO saml_providers (`+samlProviderColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		p.ID, p.Domain, p.EntityID, p.SSOURL, p.Certificates, p.EnforceSSO, p.AllowIdPInitiated, p.CreatedAt, p.UpdatedAt)
	if c, ok := uniqueViolation(err); ok && c == "saml_providers_domain_key" {
		return auth.ErrDomainTaken
	}
	if err != nil {
		return fmt.Errorf("postgres: create saml provider: %w", err)
	}
	return nil
}

// FindSAMLProviderByID returns auth.ErrNotFound when there is none.
func (s *SSOStore) FindSAMLProviderByID(ctx context.Context, id uuid.UUID) (auth.SAMLProvider, error) {
	return s.findProvider(ctx, `id = $1`, id)
}

// FindSAMLProviderByDomain probes saml_providers_domain_key.
func (s *SSOStore) FindSAMLProviderByDomain(ctx context.Context, domain string) (auth.SAMLProvider, error) {
	return s.findProvider(ctx, `domain = $1`, domain)
}

// ListSAMLProvidersByEntityID probes saml_providers_entity_id_idx.
func (s *SSOStore) ListSAMLProvidersByEntityID(ctx context.Context, entityID string) ([]auth.SAMLProvider, error) {
	return s.listProviders(ctx, `SELECT `+samlProviderColumns+` FROM saml_providers WHERE entity_id = $1 ORDER BY domain`, entityID)
}

// ListSAMLProviders lists every provider by domain.
func (s *SSOStore) ListSAMLProviders(ctx context.Context) ([]auth.SAMLProvider, error) {
	return s.listProviders(ctx, `SELECT `+samlProviderColumns+` FROM saml_providers ORDER BY domain`)
}

// UpdateSAMLProvider leaves the ID, domain and created_at alone.
func (s *SSOStore) UpdateSAMLProvider(ctx context.Context, p auth.SAMLProvider) error {
	tag, err := s.db.conn(ctx).Exec(ctx, `
		UPDATE saml_providers SET entity_id = $2, sso_login_url = $3, certificates = $4, enforce_sso = $5,
			allow_idp_initiated = $6, updated_at = $7
		WHERE id = $1`,
		p.ID, p.EntityID, p.SSOURL, p.Certificates, p.EnforceSSO, p.AllowIdPInitiated, p.UpdatedAt)
	if err != nil {
		return fmt.Errorf("postgres: update saml provider: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return auth.ErrNotFound
	}
	return nil
}

// DeleteSAMLProvider cascades to the provider's identities and requests.
func (s *SSOStore) DeleteSAMLProvider(ctx context.Context, id uuid.UUID) error {
	tag, err := s.db.conn(ctx).Exec(ctx, `DELETE FROM saml_providers WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("postgres: delete saml provider: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return auth.ErrNotFound
	}
	return nil
}

const samlIdentityColumns = `id, user_id, provider_id, name_id, created_at, last_login_at`

func scanSAMLIdentity(row pgx.Row) (auth.Identity, error) {
	var i auth.Identity
	err := row.Scan(&i.ID, &i.UserID, &i.ProviderID, &i.NameID, &i.CreatedAt, &i.LastLoginAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return auth.Identity{}, auth.ErrNotFound
	}
	return i, err
}

// CreateSAMLIdentity skips a (provider, NameID) that exists: ON CONFLICT
// waits for a concurrent insert and then reports false instead of aborting
// the transaction.
func (s *SSOStore) CreateSAMLIdentity(ctx context.Context, i auth.Identity) (bool, error) {
	tag, err := s.db.conn(ctx).Exec(ctx, `INSERT INTO saml_identities (`+samlIdentityColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT ON CONSTRAINT saml_identities_provider_id_name_id_key DO NOTHING`,
		i.ID, i.UserID, i.ProviderID, i.NameID, i.CreatedAt, i.LastLoginAt)
	if err != nil {
		return false, fmt.Errorf("postgres: create saml identity: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// FindSAMLIdentity probes saml_identities_provider_id_name_id_key.
func (s *SSOStore) FindSAMLIdentity(ctx context.Context, providerID uuid.UUID, nameID string) (auth.Identity, error) {
	i, err := scanSAMLIdentity(s.db.conn(ctx).QueryRow(ctx,
		`SELECT `+samlIdentityColumns+` FROM saml_identities WHERE provider_id = $1 AND name_id = $2`, providerID, nameID))
	if err != nil && !errors.Is(err, auth.ErrNotFound) {
		return i, fmt.Errorf("postgres: find saml identity: %w", err)
	}
	return i, err
}

// ListSAMLIdentitiesByUser lists most recent login first.
func (s *SSOStore) ListSAMLIdentitiesByUser(ctx context.Context, userID uuid.UUID) ([]auth.Identity, error) {
	rows, err := s.db.conn(ctx).Query(ctx, `SELECT `+samlIdentityColumns+` FROM saml_identities
		WHERE user_id = $1 ORDER BY last_login_at DESC, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list saml identities: %w", err)
	}
	defer rows.Close()
	out := []auth.Identity{}
	for rows.Next() {
		i, err := scanSAMLIdentity(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: list saml identities: %w", err)
		}
		out = append(out, i)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list saml identities: %w", err)
	}
	return out, nil
}

// TouchSAMLIdentity returns auth.ErrNotFound when the identity is gone.
func (s *SSOStore) TouchSAMLIdentity(ctx context.Context, id uuid.UUID, at time.Time) error {
	tag, err := s.db.conn(ctx).Exec(ctx, `UPDATE saml_identities SET last_login_at = $2 WHERE id = $1`, id, at)
	if err != nil {
		return fmt.Errorf("postgres: touch saml identity: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return auth.ErrNotFound
	}
	return nil
}

// nullableSAMLID stores uuid.Nil as NULL.
func nullableSAMLID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

// CreateSAMLRequest inserts a pending AuthnRequest.
func (s *SSOStore) CreateSAMLRequest(ctx context.Context, r ports.SAMLRequest) error {
	_, err := s.db.conn(ctx).Exec(ctx, `
		INSERT INTO saml_requests (id, request_id, provider_id, binding_hash, return_to, purpose,
			session_id, user_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		r.ID, r.RequestID, r.ProviderID, r.BindingHash, r.ReturnTo, string(r.Purpose),
		nullableSAMLID(r.SessionID), nullableSAMLID(r.UserID), r.CreatedAt, r.ExpiresAt)
	if err != nil {
		return fmt.Errorf("postgres: create saml request: %w", err)
	}
	return nil
}

// TakeSAMLRequest deletes and returns in one statement: of two concurrent
// takes, the second waits for the first's row lock and then finds nothing.
func (s *SSOStore) TakeSAMLRequest(ctx context.Context, requestID string) (ports.SAMLRequest, error) {
	var r ports.SAMLRequest
	var purpose string
	var sessionID, userID *uuid.UUID
	err := s.db.conn(ctx).QueryRow(ctx, `
		DELETE FROM saml_requests WHERE request_id = $1
		RETURNING id, request_id, provider_id, binding_hash, return_to, purpose, session_id, user_id,
			created_at, expires_at`, requestID).
		Scan(&r.ID, &r.RequestID, &r.ProviderID, &r.BindingHash, &r.ReturnTo, &purpose, &sessionID, &userID,
			&r.CreatedAt, &r.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return ports.SAMLRequest{}, auth.ErrNotFound
	}
	if err != nil {
		return ports.SAMLRequest{}, fmt.Errorf("postgres: take saml request: %w", err)
	}
	r.Purpose = ports.SAMLRequestPurpose(purpose)
	if sessionID != nil {
		r.SessionID = *sessionID
	}
	if userID != nil {
		r.UserID = *userID
	}
	return r, nil
}

// recordSAMLAssertionSQL inserts the ID, or takes over a row that has expired
// (not yet swept); a live row makes it affect nothing. A concurrent insert
// of the same ID is waited for, so exactly one of two racing records wins.
const recordSAMLAssertionSQL = `
	INSERT INTO saml_assertions_seen AS s (issuer, assertion_id, expires_at) VALUES ($1, $2, $3)
	ON CONFLICT (issuer, assertion_id) DO UPDATE SET expires_at = excluded.expires_at
	WHERE s.expires_at <= $4`

// RecordSAMLAssertion reports whether the assertion ID is new.
func (s *SSOStore) RecordSAMLAssertion(ctx context.Context, issuer, assertionID string, expiresAt, now time.Time) (bool, error) {
	tag, err := s.db.conn(ctx).Exec(ctx, recordSAMLAssertionSQL, issuer, assertionID, expiresAt, now)
	if err != nil {
		return false, fmt.Errorf("postgres: record saml assertion: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// DeleteExpiredSAMLState sweeps both tables through their expires_at indexes.
func (s *SSOStore) DeleteExpiredSAMLState(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := s.db.conn(ctx).QueryRow(ctx, `
		WITH r AS (DELETE FROM saml_requests WHERE expires_at <= $1 RETURNING 1),
		     a AS (DELETE FROM saml_assertions_seen WHERE expires_at <= $1 RETURNING 1)
		SELECT (SELECT count(*) FROM r) + (SELECT count(*) FROM a)`, now).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete expired saml state: %w", err)
	}
	return n, nil
}

// samlKeyPairSecret names the SP key pair's row in instance_secrets. Its value
// is the key's PEM block followed by the certificate's: one row, so the two
// are always stored, and read, together.
const samlKeyPairSecret = "saml_sp_key_pair"

// FindSAMLKeyPair returns auth.ErrNotFound when none is stored yet.
func (s *SSOStore) FindSAMLKeyPair(ctx context.Context) ([]byte, []byte, error) {
	var value []byte
	err := s.db.conn(ctx).QueryRow(ctx, `SELECT value FROM instance_secrets WHERE name = $1`, samlKeyPairSecret).Scan(&value)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, auth.ErrNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: find saml key pair: %w", err)
	}
	return splitSAMLKeyPair(value)
}

// PutSAMLKeyPair inserts unless a pair is stored; ON CONFLICT DO NOTHING
// waits for a concurrent first start, and the re-read returns its pair.
func (s *SSOStore) PutSAMLKeyPair(ctx context.Context, keyPEM, certPEM []byte) ([]byte, []byte, error) {
	if !bytes.Contains(keyPEM, []byte("PRIVATE KEY-----")) || !bytes.Contains(certPEM, []byte("CERTIFICATE-----")) ||
		bytes.Contains(keyPEM, []byte(samlCertMarker)) {
		return nil, nil, errors.New("postgres: put saml key pair: not a PEM key and a PEM certificate")
	}
	value := append(append(bytes.TrimSpace(bytes.Clone(keyPEM)), '\n'), bytes.TrimSpace(certPEM)...)
	_, err := s.db.conn(ctx).Exec(ctx, `INSERT INTO instance_secrets (name, value, created_at) VALUES ($1, $2, now())
		ON CONFLICT (name) DO NOTHING`, samlKeyPairSecret, append(value, '\n'))
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: put saml key pair: %w", err)
	}
	return s.FindSAMLKeyPair(ctx)
}

const samlCertMarker = "-----BEGIN CERTIFICATE-----"

// splitSAMLKeyPair cuts a stored value at its certificate block.
func splitSAMLKeyPair(value []byte) ([]byte, []byte, error) {
	i := bytes.Index(value, []byte(samlCertMarker))
	if i <= 0 {
		return nil, nil, errors.New("postgres: stored saml key pair is malformed")
	}
	return value[:i], value[i:], nil
}
