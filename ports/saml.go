package ports

import (
	"time"

	"authd/core/auth"
)

// IdPMetadata is what an identity provider's metadata XML declares.
type IdPMetadata struct {
	EntityID     string
	SSOURL       string   // the HTTP-Redirect SingleSignOnService location
	Certificates []string // every signing certificate, PEM
}

// AuthnRequest is a signed SP-initiated request ready for the browser.
type AuthnRequest struct {
	ID          string // to be matched against InResponseTo
	RedirectURL string // the IdP's SSO URL with SAMLRequest, RelayState, SigAlg, Signature
}

// SAMLServiceProvider is authd's SAML 2.0 SP role.
//
// ParseResponse enforces everything a response alone can prove: size cap, no
// DOCTYPE, a valid signature by one of the provider's certificates (SHA-1
// refused) covering the assertion used, Issuer is the provider's entity ID,
// Audience is our entity ID, Destination and Recipient are our ACS URL, and
// NotBefore/NotOnOrAfter hold at now with the configured skew. What needs state
// (InResponseTo bound to the browser, assertion replay) is the caller's job.
// Every rejection is auth.ErrSAMLRejected with a "reason" extra member.
type SAMLServiceProvider interface {
	// Metadata is the SP metadata XML, signing certificate included.
	Metadata() ([]byte, error)
	// AuthnRequest builds a signed HTTP-Redirect AuthnRequest to p.
	AuthnRequest(p auth.SAMLProvider, relayState string, forceAuthn bool) (AuthnRequest, error)
	// PeekIssuer reads the Issuer of an unverified response, only to choose the
	// provider whose certificates will verify it.
	PeekIssuer(samlResponse string) (string, error)
	// ParseResponse verifies the base64 SAMLResponse form value from p.
	ParseResponse(p auth.SAMLProvider, samlResponse string, now time.Time) (auth.SAMLAssertion, error)
	// ParseIdPMetadata reads IdP metadata XML; auth.ErrInvalidRequest when it
	// lacks an entity ID, a redirect SSO URL or a signing certificate.
	ParseIdPMetadata(xml []byte) (IdPMetadata, error)
}
