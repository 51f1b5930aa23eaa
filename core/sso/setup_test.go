package sso_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/adapters/memory"
	"authd/core/auth"
	"authd/core/session"
	"authd/core/sso"
	"authd/ports"
)

// fakeSP is a ports.SAMLServiceProvider that trusts what the test says: a
// SAMLResponse value is a key into the assertions the test registered, each
// verifiable by the providers holding the certificate it was "signed" with.
// The signature and field checks are the adapter's, tested there; this fake
// lets the core's state logic be tested alone.
type fakeSP struct {
	mu        sync.Mutex
	responses map[string]fakeResponse
	requests  []fakeRequest
}

type fakeResponse struct {
	issuer   string
	signedBy string // a certificate PEM
	a        auth.SAMLAssertion
}

type fakeRequest struct {
	id         string
	provider   auth.SAMLProvider
	forceAuthn bool
}

func (f *fakeSP) Metadata() ([]byte, error) { return []byte("<EntityDescriptor/>"), nil }

func (f *fakeSP) AuthnRequest(p auth.SAMLProvider, relayState string, forceAuthn bool) (ports.AuthnRequest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := "_req-" + uuid.NewString()
	f.requests = append(f.requests, fakeRequest{id: id, provider: p, forceAuthn: forceAuthn})
	return ports.AuthnRequest{ID: id, RedirectURL: p.SSOURL + "?SAMLRequest=" + url.QueryEscape(id)}, nil
}

func (f *fakeSP) lastRequest(t *testing.T) fakeRequest {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		t.Fatal("no AuthnRequest was made")
	}
	return f.requests[len(f.requests)-1]
}

func (f *fakeSP) PeekIssuer(samlResponse string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.responses[samlResponse]
	if !ok {
		return "", auth.ErrSAMLRejected.WithExtra("reason", "malformed")
	}
	return r.issuer, nil
}

func (f *fakeSP) ParseResponse(p auth.SAMLProvider, samlResponse string, _ time.Time) (auth.SAMLAssertion, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.responses[samlResponse]
	switch {
	case !ok:
		return auth.SAMLAssertion{}, auth.ErrSAMLRejected.WithExtra("reason", "malformed")
	case !slices.Contains(p.Certificates, r.signedBy):
		return auth.SAMLAssertion{}, auth.ErrSAMLRejected.WithExtra("reason", "signature_invalid")
	case r.issuer != p.EntityID:
		return auth.SAMLAssertion{}, auth.ErrSAMLRejected.WithExtra("reason", "wrong_issuer")
	}
	return r.a, nil
}

// goodMetadata is the only metadata document the fake understands.
const goodMetadata = "<EntityDescriptor entityID=from-metadata/>"

func (f *fakeSP) ParseIdPMetadata(xml []byte) (ports.IdPMetadata, error) {
	if string(xml) != goodMetadata {
		return ports.IdPMetadata{}, auth.ErrInvalidRequest.WithMessage("bad metadata")
	}
	return ports.IdPMetadata{EntityID: "https://idp.metadata.example/entity", SSOURL: "https://idp.metadata.example/sso",
		Certificates: []string{certA, certB}}, nil
}

// respond registers a response the IdP of p, signing with its first
// certificate, sends for a user; it returns the SAMLResponse value.
func (f *fakeSP) respond(p auth.SAMLProvider, a auth.SAMLAssertion) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.responses == nil {
		f.responses = map[string]fakeResponse{}
	}
	if a.Issuer == "" {
		a.Issuer = p.EntityID
	}
	key := "response-" + uuid.NewString()
	f.responses[key] = fakeResponse{issuer: a.Issuer, signedBy: p.Certificates[0], a: a}
	return key
}

// Certificates are made once: only their distinctness matters.
var (
	certA = newCertPEM("idp a")
	certB = newCertPEM("idp b")
	certC = newCertPEM("idp c")
)

func newCertPEM(cn string) string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

type testBundle struct {
	db       *memory.DB
	clock    *memory.Clock
	sp       *fakeSP
	svc      *sso.Service
	sessions *session.Service
	corp     auth.SAMLProvider // corp.example, signing with certA
	// snapshot is the store counts a rejection must leave as they are.
	snapshot counts
}

var start = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

func setup(t *testing.T, opts ...func(*sso.Deps, *sso.Config)) *testBundle {
	t.Helper()
	db := memory.New()
	clock := memory.NewClock(start)
	sessions := session.New(session.Deps{Sessions: db, Users: db, Tx: db, Jobs: db, UA: memory.UAParser{}, Clock: clock,
		Random: rand.Reader}, session.Config{Lifetime: 24 * time.Hour, IdleTimeout: 24 * time.Hour})
	sp := &fakeSP{}
	d := sso.Deps{Providers: db, Identities: db, State: db, Users: db, Tx: db, Jobs: db, SP: sp,
		Sessions: sessions, Elevator: sessions, Clock: clock, Random: rand.Reader}
	cfg := sso.Config{AllowedReturnOrigins: []string{"https://app.example"}}
	for _, o := range opts {
		o(&d, &cfg)
	}
	b := &testBundle{db: db, clock: clock, sp: sp, svc: sso.New(d, cfg), sessions: sessions}
	b.corp = b.addProvider(t, "corp.example", "https://idp.corp.example/entity", certA)
	return b
}

func (b *testBundle) addProvider(t *testing.T, domain, entityID, cert string) auth.SAMLProvider {
	t.Helper()
	p, err := b.svc.CreateProvider(context.Background(), sso.ProviderInput{Domain: domain, EntityID: entityID,
		SSOURL: "https://idp." + domain + "/sso", CertificatePEM: cert})
	if err != nil {
		t.Fatalf("CreateProvider(%s): %v", domain, err)
	}
	return p
}

// browser is one user agent: its binding cookie.
type browser struct{ binding string }

// user is who an IdP asserts.
type user struct {
	nameID, format, email string
}

var alice = user{nameID: "alice-7f3a", email: "alice@corp.example"}

// assertion is what p's IdP asserts about u in answer to requestID ("" for
// IdP-initiated), authenticated now.
func (b *testBundle) assertion(u user, requestID string) auth.SAMLAssertion {
	now := b.clock.Now()
	format := u.format
	if format == "" {
		format = sso.NameIDPersistent
	}
	attrs := map[string][]string{}
	if u.email != "" {
		attrs["urn:oid:0.9.2342.19200300.100.1.3"] = []string{u.email}
	}
	return auth.SAMLAssertion{ID: "_assertion-" + uuid.NewString(), ResponseID: "_response-" + uuid.NewString(),
		InResponseTo: requestID, NameID: u.nameID, NameIDFormat: format, Attributes: attrs,
		AuthnInstant: now, NotOnOrAfter: now.Add(90 * time.Second)}
}

// login starts a login in br for email and returns the request's ID.
func (b *testBundle) login(t *testing.T, br *browser, email, returnTo string) string {
	t.Helper()
	r, err := b.svc.StartLogin(context.Background(), sso.LoginStart{Email: email, ReturnTo: returnTo, Binding: br.binding})
	if err != nil {
		t.Fatalf("StartLogin: %v", err)
	}
	br.binding = r.Binding
	return b.sp.lastRequest(t).id
}

// post is br posting samlResponse to the ACS.
func (b *testBundle) post(br *browser, samlResponse, relayState string) (sso.Outcome, error) {
	return b.svc.Complete(context.Background(), sso.ACSInput{SAMLResponse: samlResponse, RelayState: relayState,
		Binding: br.binding, Client: auth.Client{UserAgent: "test browser"}})
}

// signIn runs a whole SP-initiated login of u in br, which must succeed.
func (b *testBundle) signIn(t *testing.T, br *browser, u user) sso.Outcome {
	t.Helper()
	req := b.login(t, br, u.email, "/home")
	out, err := b.post(br, b.sp.respond(b.corp, b.assertion(u, req)), "")
	if err != nil {
		t.Fatalf("ACS: %v", err)
	}
	return out
}

// requireRejected stops the test unless err is saml_rejected for reason.
func requireRejected(t *testing.T, err error, reason string) {
	t.Helper()
	var ae *auth.Error
	if !errors.Is(err, auth.ErrSAMLRejected) || !errors.As(err, &ae) || ae.Extra["reason"] != reason {
		t.Fatalf("err = %v (%v); want saml_rejected with reason %q", err, extraOf(err), reason)
	}
}

func extraOf(err error) any {
	var ae *auth.Error
	if errors.As(err, &ae) {
		return ae.Extra
	}
	return nil
}

// counts is what a rejection must leave unchanged.
type counts struct{ users, sessions, identities, jobs int }

func (b *testBundle) counts(t *testing.T, emails ...string) counts {
	t.Helper()
	ctx := context.Background()
	var c counts
	for _, e := range emails {
		u, err := b.db.FindUserByEmail(ctx, e)
		if errors.Is(err, auth.ErrNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		c.users++
		list, _ := b.db.ListSessionsByUser(ctx, u.ID, b.clock.Now())
		c.sessions += len(list)
		ids, _ := b.db.ListSAMLIdentitiesByUser(ctx, u.ID)
		c.identities += len(ids)
	}
	c.jobs = len(b.db.Jobs())
	return c
}

func (c counts) String() string {
	return fmt.Sprintf("%d users, %d sessions, %d identities, %d jobs", c.users, c.sessions, c.identities, c.jobs)
}
