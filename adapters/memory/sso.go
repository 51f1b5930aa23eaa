package memory

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// ssoTables are the rows of the SAML store ports.
type ssoTables struct {
	providers  map[uuid.UUID]auth.SAMLProvider
	identities map[uuid.UUID]auth.Identity
	requests   map[string]ports.SAMLRequest // by request ID
	seen       map[samlSeenKey]time.Time    // assertion → expires_at
	keyPair    [2][]byte                    // key PEM, certificate PEM; nil until stored
}

type samlSeenKey struct{ issuer, assertionID string }

func newSSOTables() ssoTables {
	return ssoTables{
		providers:  map[uuid.UUID]auth.SAMLProvider{},
		identities: map[uuid.UUID]auth.Identity{},
		requests:   map[string]ports.SAMLRequest{},
		seen:       map[samlSeenKey]time.Time{},
	}
}

// clone copies the maps; the values are never mutated in place (providers
// are stored with their own certificate slices), so shallow copies suffice.
func (t ssoTables) clone() ssoTables {
	return ssoTables{providers: maps.Clone(t.providers), identities: maps.Clone(t.identities),
		requests: maps.Clone(t.requests), seen: maps.Clone(t.seen), keyPair: t.keyPair}
}

func cloneSAMLProvider(p auth.SAMLProvider) auth.SAMLProvider {
	p.Certificates = slices.Clone(p.Certificates)
	return p
}

// CreateSAMLProvider implements ports.SAMLProviderStore.
func (db *DB) CreateSAMLProvider(_ context.Context, p auth.SAMLProvider) error {
	defer db.lock()()
	for _, o := range db.t.sso.providers {
		if o.Domain == p.Domain {
			return auth.ErrDomainTaken
		}
	}
	db.t.sso.providers[p.ID] = cloneSAMLProvider(p)
	return nil
}

// FindSAMLProviderByID implements ports.SAMLProviderStore.
func (db *DB) FindSAMLProviderByID(_ context.Context, id uuid.UUID) (auth.SAMLProvider, error) {
	defer db.lock()()
	p, ok := db.t.sso.providers[id]
	if !ok {
		return auth.SAMLProvider{}, auth.ErrNotFound
	}
	return cloneSAMLProvider(p), nil
}

// FindSAMLProviderByDomain implements ports.SAMLProviderStore.
func (db *DB) FindSAMLProviderByDomain(_ context.Context, domain string) (auth.SAMLProvider, error) {
	defer db.lock()()
	for _, p := range db.t.sso.providers {
		if p.Domain == domain {
			return cloneSAMLProvider(p), nil
		}
	}
	return auth.SAMLProvider{}, auth.ErrNotFound
}

func (db *DB) listSAMLProviders(match func(auth.SAMLProvider) bool) []auth.SAMLProvider {
	defer db.lock()()
	out := []auth.SAMLProvider{}
	for _, p := range db.t.sso.providers {
		if match(p) {
			out = append(out, cloneSAMLProvider(p))
		}
	}
	slices.SortFunc(out, func(a, b auth.SAMLProvider) int { return strings.Compare(a.Domain, b.Domain) })
	return out
}

// ListSAMLProvidersByEntityID implements ports.SAMLProviderStore.
func (db *DB) ListSAMLProvidersByEntityID(_ context.Context, entityID string) ([]auth.SAMLProvider, error) {
	return db.listSAMLProviders(func(p auth.SAMLProvider) bool { return p.EntityID == entityID }), nil
}

// ListSAMLProviders implements ports.SAMLProviderStore.
func (db *DB) ListSAMLProviders(context.Context) ([]auth.SAMLProvider, error) {
	return db.listSAMLProviders(func(auth.SAMLProvider) bool { return true }), nil
}

// UpdateSAMLProvider implements ports.SAMLProviderStore.
func (db *DB) UpdateSAMLProvider(_ context.Context, p auth.SAMLProvider) error {
	defer db.lock()()
	old, ok := db.t.sso.providers[p.ID]
	if !ok {
		return auth.ErrNotFound
	}
	p.Domain, p.CreatedAt = old.Domain, old.CreatedAt
	db.t.sso.providers[p.ID] = cloneSAMLProvider(p)
	return nil
}

// DeleteSAMLProvider implements ports.SAMLProviderStore, cascading as the
// foreign keys do.
func (db *DB) DeleteSAMLProvider(_ context.Context, id uuid.UUID) error {
	defer db.lock()()
	if _, ok := db.t.sso.providers[id]; !ok {
		return auth.ErrNotFound
	}
	delete(db.t.sso.providers, id)
	maps.DeleteFunc(db.t.sso.identities, func(_ uuid.UUID, i auth.Identity) bool { return i.ProviderID == id })
	maps.DeleteFunc(db.t.sso.requests, func(_ string, r ports.SAMLRequest) bool { return r.ProviderID == id })
	return nil
}

// CreateSAMLIdentity implements ports.SAMLIdentityStore.
func (db *DB) CreateSAMLIdentity(_ context.Context, i auth.Identity) (bool, error) {
	defer db.lock()()
	for _, o := range db.t.sso.identities {
		if o.ProviderID == i.ProviderID && o.NameID == i.NameID {
			return false, nil
		}
	}
	db.t.sso.identities[i.ID] = i
	return true, nil
}

// FindSAMLIdentity implements ports.SAMLIdentityStore.
func (db *DB) FindSAMLIdentity(_ context.Context, providerID uuid.UUID, nameID string) (auth.Identity, error) {
	defer db.lock()()
	for _, i := range db.t.sso.identities {
		if i.ProviderID == providerID && i.NameID == nameID {
			return i, nil
		}
	}
	return auth.Identity{}, auth.ErrNotFound
}

// ListSAMLIdentitiesByUser implements ports.SAMLIdentityStore.
func (db *DB) ListSAMLIdentitiesByUser(_ context.Context, userID uuid.UUID) ([]auth.Identity, error) {
	defer db.lock()()
	out := []auth.Identity{}
	for _, i := range db.t.sso.identities {
		if i.UserID == userID {
			out = append(out, i)
		}
	}
	slices.SortFunc(out, func(a, b auth.Identity) int {
		if c := b.LastLoginAt.Compare(a.LastLoginAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID.String(), b.ID.String())
	})
	return out, nil
}

// TouchSAMLIdentity implements ports.SAMLIdentityStore.
func (db *DB) TouchSAMLIdentity(_ context.Context, id uuid.UUID, at time.Time) error {
	defer db.lock()()
	i, ok := db.t.sso.identities[id]
	if !ok {
		return auth.ErrNotFound
	}
	i.LastLoginAt = at
	db.t.sso.identities[id] = i
	return nil
}

// CreateSAMLRequest implements ports.SAMLStateStore.
func (db *DB) CreateSAMLRequest(_ context.Context, r ports.SAMLRequest) error {
	defer db.lock()()
	if _, ok := db.t.sso.requests[r.RequestID]; ok {
		return errDuplicateSAMLRequest
	}
	r.BindingHash = bytes.Clone(r.BindingHash)
	db.t.sso.requests[r.RequestID] = r
	return nil
}

// errDuplicateSAMLRequest is the unique violation PostgreSQL would report.
var errDuplicateSAMLRequest = errors.New("memory: duplicate saml request id")

// TakeSAMLRequest implements ports.SAMLStateStore.
func (db *DB) TakeSAMLRequest(_ context.Context, requestID string) (ports.SAMLRequest, error) {
	defer db.lock()()
	r, ok := db.t.sso.requests[requestID]
	if !ok {
		return ports.SAMLRequest{}, auth.ErrNotFound
	}
	delete(db.t.sso.requests, requestID)
	return r, nil
}

// RecordSAMLAssertion implements ports.SAMLStateStore.
func (db *DB) RecordSAMLAssertion(_ context.Context, issuer, assertionID string, expiresAt, now time.Time) (bool, error) {
	defer db.lock()()
	k := samlSeenKey{issuer, assertionID}
	if exp, ok := db.t.sso.seen[k]; ok && exp.After(now) {
		return false, nil
	}
	db.t.sso.seen[k] = expiresAt
	return true, nil
}

// DeleteExpiredSAMLState implements ports.SAMLStateStore.
func (db *DB) DeleteExpiredSAMLState(_ context.Context, now time.Time) (int, error) {
	defer db.lock()()
	n := 0
	maps.DeleteFunc(db.t.sso.requests, func(_ string, r ports.SAMLRequest) bool {
		expired := !r.ExpiresAt.After(now)
		if expired {
			n++
		}
		return expired
	})
	maps.DeleteFunc(db.t.sso.seen, func(_ samlSeenKey, exp time.Time) bool {
		expired := !exp.After(now)
		if expired {
			n++
		}
		return expired
	})
	return n, nil
}

// FindSAMLKeyPair implements ports.SAMLKeyPairStore.
func (db *DB) FindSAMLKeyPair(context.Context) ([]byte, []byte, error) {
	defer db.lock()()
	if db.t.sso.keyPair[0] == nil {
		return nil, nil, auth.ErrNotFound
	}
	return bytes.Clone(db.t.sso.keyPair[0]), bytes.Clone(db.t.sso.keyPair[1]), nil
}

// PutSAMLKeyPair implements ports.SAMLKeyPairStore.
func (db *DB) PutSAMLKeyPair(_ context.Context, keyPEM, certPEM []byte) ([]byte, []byte, error) {
	defer db.lock()()
	if db.t.sso.keyPair[0] == nil {
		db.t.sso.keyPair = [2][]byte{bytes.Clone(keyPEM), bytes.Clone(certPEM)}
	}
	return bytes.Clone(db.t.sso.keyPair[0]), bytes.Clone(db.t.sso.keyPair[1]), nil
}
