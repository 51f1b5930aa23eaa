package ports

import (
	"context"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
)

// SAMLProviderStore keeps the registered identity providers. Domains are
// stored lowercase and are unique.
type SAMLProviderStore interface {
	// CreateSAMLProvider returns auth.ErrDomainTaken when a provider already
	// serves p.Domain.
	CreateSAMLProvider(ctx context.Context, p auth.SAMLProvider) error
	// FindSAMLProviderByID returns auth.ErrNotFound when there is none.
	FindSAMLProviderByID(ctx context.Context, id uuid.UUID) (auth.SAMLProvider, error)
	// FindSAMLProviderByDomain matches the lowercase domain exactly;
	// auth.ErrNotFound when no provider serves it.
	FindSAMLProviderByDomain(ctx context.Context, domain string) (auth.SAMLProvider, error)
	// ListSAMLProvidersByEntityID lists the providers with this entity ID
	// (several when one IdP tenant serves several domains), by domain; empty
	// when there is none.
	ListSAMLProvidersByEntityID(ctx context.Context, entityID string) ([]auth.SAMLProvider, error)
	// ListSAMLProviders lists every provider by domain.
	ListSAMLProviders(ctx context.Context) ([]auth.SAMLProvider, error)
	// UpdateSAMLProvider replaces everything but the ID, domain and creation
	// time; auth.ErrNotFound when there is no such provider.
	UpdateSAMLProvider(ctx context.Context, p auth.SAMLProvider) error
	// DeleteSAMLProvider removes the provider with its identities and pending
	// requests; auth.ErrNotFound when there is no such provider.
	DeleteSAMLProvider(ctx context.Context, id uuid.UUID) error
}

// SAMLIdentityStore keeps the links from (provider, NameID) to users.
type SAMLIdentityStore interface {
	// CreateSAMLIdentity inserts id unless the provider already has that
	// NameID, and reports whether it did. It never fails on that conflict,
	// so a race loses without aborting the transaction.
	CreateSAMLIdentity(ctx context.Context, id auth.Identity) (created bool, err error)
	// FindSAMLIdentity returns auth.ErrNotFound when the provider has no
	// identity with this NameID (compared exactly).
	FindSAMLIdentity(ctx context.Context, providerID uuid.UUID, nameID string) (auth.Identity, error)
	// ListSAMLIdentitiesByUser lists the user's identities, most recent login
	// first; empty when there is none.
	ListSAMLIdentitiesByUser(ctx context.Context, userID uuid.UUID) ([]auth.Identity, error)
	// TouchSAMLIdentity sets last_login_at; auth.ErrNotFound when the
	// identity is gone.
	TouchSAMLIdentity(ctx context.Context, id uuid.UUID, at time.Time) error
}

// SAMLRequestPurpose is what a pending AuthnRequest is for.
type SAMLRequestPurpose string

// The purposes of an AuthnRequest.
const (
	SAMLPurposeLogin  SAMLRequestPurpose = "login"
	SAMLPurposeStepUp SAMLRequestPurpose = "step_up"
)

// SAMLRequest is an SP-initiated AuthnRequest awaiting its response, bound to
// the browser that started it.
type SAMLRequest struct {
	ID         uuid.UUID
	RequestID  string // the AuthnRequest's ID, named by InResponseTo
	ProviderID uuid.UUID
	// BindingHash is the SHA-256 of the browser's binding cookie value.
	BindingHash []byte
	ReturnTo    string
	Purpose     SAMLRequestPurpose
	// SessionID and UserID name the session a step-up elevates (zero for a
	// login).
	SessionID uuid.UUID
	UserID    uuid.UUID
	CreatedAt time.Time
	ExpiresAt time.Time
}

// SAMLStateStore keeps what makes a response usable once: pending requests
// and the assertion IDs already accepted.
type SAMLStateStore interface {
	// CreateSAMLRequest inserts r; request IDs are unique.
	CreateSAMLRequest(ctx context.Context, r SAMLRequest) error
	// TakeSAMLRequest deletes and returns the request with this request ID,
	// expired or not; auth.ErrNotFound when there is none. Of two concurrent
	// takes, one gets it.
	TakeSAMLRequest(ctx context.Context, requestID string) (SAMLRequest, error)
	// RecordSAMLAssertion remembers the assertion ID from issuer until
	// expiresAt and reports whether it was new: false when it is already
	// remembered and not expired at now. Of two concurrent records of one
	// ID, one is first.
	RecordSAMLAssertion(ctx context.Context, issuer, assertionID string, expiresAt, now time.Time) (first bool, err error)
	// DeleteExpiredSAMLState forgets requests and assertions expired at now
	// and reports how many rows it removed.
	DeleteExpiredSAMLState(ctx context.Context, now time.Time) (int, error)
}

// SAMLKeyPairStore keeps the SP signing key pair authd generates for itself
// when none is configured, so every process and restart signs with one key.
type SAMLKeyPairStore interface {
	// FindSAMLKeyPair returns the stored PEM key and certificate, or
	// auth.ErrNotFound when none is stored yet.
	FindSAMLKeyPair(ctx context.Context) (keyPEM, certPEM []byte, err error)
	// PutSAMLKeyPair stores the pair unless one is stored already, and
	// returns the stored one: of two processes starting at once, both end
	// up with the pair of whichever stored first.
	PutSAMLKeyPair(ctx context.Context, keyPEM, certPEM []byte) (storedKeyPEM, storedCertPEM []byte, err error)
}

// SSOPolicy tells password sign-in which addresses must use single sign-on.
// *sso.Service satisfies it; accounts consumes it.
type SSOPolicy interface {
	// EnforcedForEmail reports whether the provider of the address's domain
	// enforces SSO; false when no provider serves it.
	EnforcedForEmail(ctx context.Context, email string) (bool, error)
}
