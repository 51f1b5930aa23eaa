package saml

import (
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	saml2 "github.com/russellhaering/gosaml2"
	"github.com/russellhaering/gosaml2/types"
	dsig "github.com/russellhaering/goxmldsig"

	"authd/core/auth"
)

// PeekIssuer reads the Issuer of an unverified response (the Response's, or
// else its Assertion's), only to choose the provider whose certificates will
// verify it. The same size, DOCTYPE and well-formedness checks as
// ParseResponse apply; failures are auth.ErrSAMLRejected.
func (s *SP) PeekIssuer(samlResponse string) (string, error) {
	_, doc, err := decodeXML(samlResponse, s.cfg.MaxResponseBytes)
	if err != nil {
		return "", err
	}
	root := doc.Root()
	if !is(root, nsProtocol, "Response") {
		return "", reject(ReasonMalformed)
	}
	if iss := child(root, nsAssertion, "Issuer"); iss != nil && strings.TrimSpace(iss.Text()) != "" {
		return strings.TrimSpace(iss.Text()), nil
	}
	if a := child(root, nsAssertion, "Assertion"); a != nil {
		if iss := child(a, nsAssertion, "Issuer"); iss != nil && strings.TrimSpace(iss.Text()) != "" {
			return strings.TrimSpace(iss.Text()), nil
		}
	}
	return "", reject(ReasonIssuerMissing)
}

// ParseResponse verifies the base64 SAMLResponse form value from p at now.
// Every refusal is auth.ErrSAMLRejected with a "reason"; an error of any
// other kind means p itself is misconfigured (no usable certificate).
func (s *SP) ParseResponse(p auth.SAMLProvider, samlResponse string, now time.Time) (auth.SAMLAssertion, error) {
	certs, err := providerCertificates(p)
	if err != nil {
		return auth.SAMLAssertion{}, err
	}
	raw, doc, err := decodeXML(samlResponse, s.cfg.MaxResponseBytes)
	if err != nil {
		return auth.SAMLAssertion{}, err
	}
	root := doc.Root()
	if !is(root, nsProtocol, "Response") {
		return auth.SAMLAssertion{}, reject(ReasonMalformed)
	}
	if err := checkHygiene(root); err != nil {
		return auth.SAMLAssertion{}, err
	}
	// An IdP's error response usually has no assertion, which gosaml2
	// reports as a missing element; say what it is. Reading the unverified
	// status can only refuse, never accept.
	if code := rawStatus(root); code != "" && code != saml2.StatusCodeSuccess {
		return auth.SAMLAssertion{}, reject(ReasonStatusNotSuccess)
	}
	// gosaml2 decodes the form value again; hand it exactly the bytes
	// checked above rather than trust two base64 decoders to agree.
	resp, err := s.verify(p, certs, base64.StdEncoding.EncodeToString(raw), now)
	if err != nil {
		return auth.SAMLAssertion{}, err
	}
	if err := checkStructure(root); err != nil {
		return auth.SAMLAssertion{}, err
	}
	return s.assertion(p, resp, root, now)
}

// verify runs gosaml2 with every certificate of p trusted. gosaml2 finds the
// certificate named by the signature's KeyInfo; a signature without KeyInfo
// can only be checked against one certificate at a time, so on a signature
// failure with several certificates each is tried alone.
//
// gosaml2's own expiry check on SubjectConfirmationData has no skew, so its
// clock is set MaxSkew early; assertion() applies the exact windows.
func (s *SP) verify(p auth.SAMLProvider, certs []*x509.Certificate, samlResponse string, now time.Time) (*types.Response, error) {
	resp, err := s.verifier(p, certs, now).ValidateEncodedResponse(samlResponse)
	if err == nil {
		return resp, nil
	}
	reason := classify(err)
	if reason == ReasonSignatureInvalid && len(certs) > 1 {
		for _, c := range certs {
			r, err := s.verifier(p, []*x509.Certificate{c}, now).ValidateEncodedResponse(samlResponse)
			if err == nil {
				return r, nil
			}
			if classify(err) != ReasonSignatureInvalid {
				return nil, reject(classify(err))
			}
		}
	}
	return nil, reject(reason)
}

// verifier is a gosaml2 SP that trusts certs for p. It has no SP key, so it
// can never decrypt: encrypted assertions are refused before it runs.
func (s *SP) verifier(p auth.SAMLProvider, certs []*x509.Certificate, now time.Time) *saml2.SAMLServiceProvider {
	return &saml2.SAMLServiceProvider{
		IdentityProviderIssuer:      p.EntityID,
		ServiceProviderIssuer:       s.cfg.EntityID,
		AssertionConsumerServiceURL: s.cfg.ACSURL,
		AudienceURI:                 s.cfg.EntityID,
		IDPCertificateStore:         &dsig.MemoryX509CertificateStore{Roots: certs},
		Clock:                       dsig.NewFakeClockAt(now.Add(-s.cfg.MaxSkew)),
		MaximumXMLTokens:            maxXMLTokens,
	}
}

// providerCertificates parses p's PEM certificates. A provider without a
// usable one is a configuration error, not a rejected response.
func providerCertificates(p auth.SAMLProvider) ([]*x509.Certificate, error) {
	if p.EntityID == "" {
		return nil, fmt.Errorf("saml: provider %s has no entity ID", p.ID)
	}
	if len(p.Certificates) == 0 {
		return nil, fmt.Errorf("saml: provider %s has no certificate", p.ID)
	}
	certs := make([]*x509.Certificate, 0, len(p.Certificates))
	for i, pemText := range p.Certificates {
		c, err := parseCertificatePEM([]byte(pemText))
		if err != nil {
			return nil, fmt.Errorf("saml: provider %s certificate %d: %w", p.ID, i, err)
		}
		certs = append(certs, c)
	}
	return certs, nil
}

// rawStatus is the top-level StatusCode of the unverified response.
func rawStatus(root *etree.Element) string {
	st := child(root, nsProtocol, "Status")
	if st == nil {
		return ""
	}
	code := child(st, nsProtocol, "StatusCode")
	if code == nil {
		return ""
	}
	return code.SelectAttrValue("Value", "")
}
