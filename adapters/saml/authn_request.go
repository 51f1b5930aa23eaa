package saml

import (
	"errors"
	"fmt"

	"authd/core/auth"
	"authd/ports"
)

// AuthnRequest builds a signed HTTP-Redirect AuthnRequest to p: Destination
// p.SSOURL, our entity ID as Issuer, our ACS with the HTTP-POST binding, a
// persistent NameIDPolicy that allows creation, and ForceAuthn when asked.
// The query string (SAMLRequest, RelayState, SigAlg) carries an rsa-sha256
// signature. The request ID comes from crypto/rand.
func (s *SP) AuthnRequest(p auth.SAMLProvider, relayState string, forceAuthn bool) (ports.AuthnRequest, error) {
	if p.SSOURL == "" {
		return ports.AuthnRequest{}, errors.New("saml: authn request: provider has no SSO URL")
	}
	sp := s.signer(s.cfg.Now())
	sp.IdentityProviderSSOURL = p.SSOURL
	sp.IdentityProviderIssuer = p.EntityID
	sp.ForceAuthn = forceAuthn
	// With the redirect binding the signature goes in the query string, so
	// the document itself carries none.
	doc, err := sp.BuildAuthRequestDocumentNoSig()
	if err != nil {
		return ports.AuthnRequest{}, fmt.Errorf("saml: authn request: %w", err)
	}
	id := doc.Root().SelectAttrValue("ID", "")
	if id == "" {
		return ports.AuthnRequest{}, errors.New("saml: authn request: gosaml2 produced no ID")
	}
	redirect, err := sp.BuildAuthURLRedirect(relayState, doc)
	if err != nil {
		return ports.AuthnRequest{}, fmt.Errorf("saml: authn request: %w", err)
	}
	return ports.AuthnRequest{ID: id, RedirectURL: redirect}, nil
}
