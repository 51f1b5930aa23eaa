package saml

import (
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/adapters/saml/samltest"
	"authd/core/auth"
	"authd/ports"
)

const (
	testEntityID = "https://auth.example.test/v1/saml/metadata"
	testACSURL   = "https://auth.example.test/v1/saml/acs"
)

// Keys are generated once per process: RSA generation dominates test time,
// and no test depends on a key being fresh, only on keys being distinct.
var (
	spKeys = sync.OnceValue(func() samltest.KeyPair { return mustKeyPair("authd sp") })
	idpKey = sync.OnceValue(func() samltest.KeyPair { return mustKeyPair("idp current") })
	oldKey = sync.OnceValue(func() samltest.KeyPair { return mustKeyPair("idp previous") })
	evil   = sync.OnceValue(func() samltest.KeyPair { return mustKeyPair("attacker") })
)

func mustKeyPair(cn string) samltest.KeyPair {
	key, cert, err := GenerateKeyPair(cn, time.Now())
	if err != nil {
		panic(err)
	}
	return samltest.KeyPair{Key: key, Cert: cert}
}

type testBundle struct {
	sp       *SP
	idp      *samltest.IdP
	provider auth.SAMLProvider
}

// setup starts an IdP that trusts a fresh SP, and the provider record that
// trusts the IdP.
func setup(t *testing.T) *testBundle {
	t.Helper()
	sp := newSP(t, spKeys().Key, spKeys().Cert)
	md, err := sp.Metadata()
	if err != nil {
		t.Fatalf("Metadata: %v", err)
	}
	kp := idpKey()
	idp := samltest.NewIdP(t, samltest.Options{SPMetadata: [][]byte{md}, Keys: &kp})
	return &testBundle{
		sp:  sp,
		idp: idp,
		provider: auth.SAMLProvider{
			ID:           uuid.New(),
			Domain:       "corp.example",
			EntityID:     idp.EntityID(),
			SSOURL:       idp.SSOURL(),
			Certificates: []string{idp.CertificatePEM()},
		},
	}
}

func newSP(t *testing.T, key *rsa.PrivateKey, cert *x509.Certificate) *SP {
	t.Helper()
	sp, err := New(Config{EntityID: testEntityID, ACSURL: testACSURL, Key: key, Cert: cert})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return sp
}

var alice = samltest.User{
	NameID:     "alice-7f3a",
	Email:      "alice@corp.example",
	Attributes: map[string][]string{"groups": {"eng", "admins"}},
}

// login runs an SP-initiated flow for u and returns the request and the
// IdP's answer.
func (b *testBundle) login(t *testing.T, u samltest.User) (ports.AuthnRequest, samltest.Post) {
	t.Helper()
	req, err := b.sp.AuthnRequest(b.provider, "relay-1", false)
	if err != nil {
		t.Fatalf("AuthnRequest: %v", err)
	}
	return req, b.idp.Respond(t, req.RedirectURL, u)
}

// parse is ParseResponse at the real time.
func (b *testBundle) parse(samlResponse string) (auth.SAMLAssertion, error) {
	return b.sp.ParseResponse(b.provider, samlResponse, time.Now())
}

// requireRejected stops the test unless err is auth.ErrSAMLRejected with
// one of reasons.
func requireRejected(t *testing.T, err error, reasons ...string) {
	t.Helper()
	var ae *auth.Error
	if !errors.Is(err, auth.ErrSAMLRejected) || !errors.As(err, &ae) {
		t.Fatalf("err = %v; want saml_rejected (%v)", err, reasons)
	}
	got, _ := ae.Extra["reason"].(string)
	if !slices.Contains(reasons, got) {
		t.Fatalf("reason = %q; want one of %v", got, reasons)
	}
}
