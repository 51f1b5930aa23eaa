package saml

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"time"

	saml2 "github.com/russellhaering/gosaml2"
	dsig "github.com/russellhaering/goxmldsig"

	"authd/ports"
)

// Defaults for the zero values of Config.
const (
	DefaultMaxSkew          = 2 * time.Minute
	DefaultMaxResponseBytes = 256 << 10
)

// Config is the SP's identity and its limits.
type Config struct {
	// EntityID is our SP entity ID, e.g. https://auth.example.com/v1/saml/metadata.
	EntityID string
	// ACSURL is our assertion consumer service, e.g. https://auth.example.com/v1/saml/acs.
	ACSURL string
	// Key and Cert sign AuthnRequests; Cert is published in the metadata.
	Key  *rsa.PrivateKey
	Cert *x509.Certificate
	// MaxSkew is the clock difference tolerated on every validity window
	// (default 2m).
	MaxSkew time.Duration
	// MaxResponseBytes caps the base64 SAMLResponse form value (default 256 KiB).
	MaxResponseBytes int
	// Now stamps AuthnRequests and the metadata's validUntil (default
	// time.Now). ParseResponse takes its time as an argument instead.
	Now func() time.Time
}

// SP implements ports.SAMLServiceProvider. It holds only its configuration and
// is safe for concurrent use.
type SP struct {
	cfg  Config
	keys dsig.X509KeyStore
}

var _ ports.SAMLServiceProvider = (*SP)(nil)

// New checks cfg and returns the SP.
func New(cfg Config) (*SP, error) {
	if cfg.EntityID == "" {
		return nil, errors.New("saml: EntityID is required")
	}
	if u, err := url.Parse(cfg.ACSURL); err != nil || !u.IsAbs() || u.Host == "" {
		return nil, fmt.Errorf("saml: ACSURL %q is not an absolute URL", cfg.ACSURL)
	}
	if cfg.Key == nil || cfg.Cert == nil {
		return nil, errors.New("saml: Key and Cert are required")
	}
	if !cfg.Key.PublicKey.Equal(cfg.Cert.PublicKey) {
		return nil, errors.New("saml: Cert does not match Key")
	}
	if cfg.MaxSkew <= 0 {
		cfg.MaxSkew = DefaultMaxSkew
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	keys := dsig.TLSCertKeyStore(tls.Certificate{
		Certificate: [][]byte{cfg.Cert.Raw},
		PrivateKey:  cfg.Key,
		Leaf:        cfg.Cert,
	})
	return &SP{cfg: cfg, keys: keys}, nil
}

// signer is a gosaml2 SP that signs as us: for metadata and AuthnRequests,
// never for parsing responses (see verifier).
func (s *SP) signer(now time.Time) *saml2.SAMLServiceProvider {
	return &saml2.SAMLServiceProvider{
		ServiceProviderIssuer:       s.cfg.EntityID,
		AssertionConsumerServiceURL: s.cfg.ACSURL,
		AudienceURI:                 s.cfg.EntityID,
		SignAuthnRequests:           true,
		SignAuthnRequestsAlgorithm:  dsig.RSASHA256SignatureMethod,
		NameIdFormat:                saml2.NameIdFormatPersistent,
		// gosaml2's Metadata only emits the signing KeyDescriptor when the
		// deprecated key store fields are set (its Set*KeyStore overrides are
		// ignored there), and it fails without an encryption certificate.
		// The encryption descriptor is dropped again in Metadata: we do not
		// ask IdPs to encrypt.
		SPSigningKeyStore: s.keys,
		SPKeyStore:        s.keys,
		Clock:             dsig.NewFakeClockAt(now),
	}
}

// Metadata is the SP metadata XML: entity ID, the HTTP-POST ACS, the NameID
// formats we accept, signed AuthnRequests and assertions, and our signing
// certificate.
func (s *SP) Metadata() ([]byte, error) {
	ed, err := s.signer(s.cfg.Now()).Metadata()
	if err != nil {
		return nil, fmt.Errorf("saml: metadata: %w", err)
	}
	d := ed.SPSSODescriptor
	kept := d.KeyDescriptors[:0]
	for _, kd := range d.KeyDescriptors {
		if kd.Use == "signing" {
			kept = append(kept, kd)
		}
	}
	if len(kept) == 0 {
		return nil, errors.New("saml: metadata: gosaml2 omitted the signing certificate")
	}
	d.KeyDescriptors = kept
	d.NameIDFormats = []string{saml2.NameIdFormatPersistent, saml2.NameIdFormatEmailAddress}
	out, err := xml.MarshalIndent(ed, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("saml: metadata: %w", err)
	}
	return append([]byte(xml.Header), out...), nil
}
