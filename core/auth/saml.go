package auth

import (
	"time"

	"github.com/google/uuid"
)

// SAMLProvider is a customer's identity provider, serving one email domain.
type SAMLProvider struct {
	ID       uuid.UUID
	Domain   string
	EntityID string
	// SSOURL is the IdP's HTTP-Redirect single sign-on endpoint.
	SSOURL string
	// Certificates are the IdP's signing certificates in PEM; more than one
	// during a key rollover.
	Certificates      []string
	EnforceSSO        bool
	AllowIdPInitiated bool
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// SAMLAssertion is what a verified SAML response asserts about the user.
type SAMLAssertion struct {
	ID           string // the assertion's ID, accepted once
	ResponseID   string
	Issuer       string
	InResponseTo string // empty for an IdP-initiated response
	NameID       string
	NameIDFormat string
	Attributes   map[string][]string
	AuthnInstant time.Time
	// NotOnOrAfter bounds how long the assertion ID must be remembered to
	// refuse replays.
	NotOnOrAfter time.Time
}

// Identity links a user to a NameID at a SAML provider.
type Identity struct {
	ID          uuid.UUID
	UserID      uuid.UUID
	ProviderID  uuid.UUID
	NameID      string
	CreatedAt   time.Time
	LastLoginAt time.Time
}
