package samltest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/crewjam/saml"
	"github.com/jonboulle/clockwork"
	dsig "github.com/russellhaering/goxmldsig"
)

// Options configure a test IdP. The zero value is usable.
type Options struct {
	// EntityID is the IdP's entity ID (also its metadata URL); default
	// https://idp.example.test/saml/metadata.
	EntityID string
	// SPMetadata registers service providers up front (see AddServiceProvider).
	SPMetadata [][]byte
	// Keys signs responses; default a fresh 2048-bit key pair.
	Keys *KeyPair
	// SignatureMethod is the XML signature algorithm; default rsa-sha256.
	SignatureMethod string
	// Clock is the IdP's time source; default the real clock.
	Clock clockwork.Clock
}

// User is who the IdP asserts.
type User struct {
	NameID string
	// NameIDFormat defaults to persistent.
	NameIDFormat string
	// Email becomes the mail attribute (AttrMail).
	Email string
	// Attributes are added as-is (basic name format, xs:string values).
	Attributes map[string][]string
}

// Post is the auto-submitting form the IdP sends the browser to the SP.
type Post struct {
	URL          string // the form action: the SP's ACS
	SAMLResponse string // base64, as posted
	RelayState   string
}

// Well-known names the IdP uses.
const (
	PersistentNameIDFormat = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	EmailNameIDFormat      = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	// AttrMail is the attribute crewjam puts User.Email in.
	AttrMail = "urn:oid:0.9.2342.19200300.100.1.3"
)

// loginHeader carries the key of the pending login: the test "browser"
// authenticates at the IdP with it instead of a password form.
const loginHeader = "X-Samltest-Login"

// IdP is a running test identity provider.
type IdP struct {
	idp  *saml.IdentityProvider
	srv  *httptest.Server
	keys KeyPair

	mu      sync.Mutex
	sps     map[string]*saml.EntityDescriptor
	pending map[string]User
}

// NewIdP starts an IdP; it stops when t ends.
func NewIdP(t testing.TB, opts Options) *IdP {
	t.Helper()
	if opts.EntityID == "" {
		opts.EntityID = "https://idp.example.test/saml/metadata"
	}
	if opts.Keys == nil {
		kp := NewKeyPair(t, "samltest idp")
		opts.Keys = &kp
	}
	metadataURL, err := url.Parse(opts.EntityID)
	if err != nil {
		t.Fatalf("samltest: entity ID: %v", err)
	}
	i := &IdP{
		keys:    *opts.Keys,
		sps:     map[string]*saml.EntityDescriptor{},
		pending: map[string]User{},
	}
	mux := http.NewServeMux()
	i.srv = httptest.NewServer(mux)
	t.Cleanup(i.srv.Close)
	ssoURL, _ := url.Parse(i.srv.URL + "/sso")
	i.idp = &saml.IdentityProvider{
		Key:                     opts.Keys.Key,
		Certificate:             opts.Keys.Cert,
		MetadataURL:             *metadataURL,
		SSOURL:                  *ssoURL,
		ServiceProviderProvider: spLookup{i},
		SessionProvider:         sessions{i},
		SignatureMethod:         opts.SignatureMethod,
		NameIDFormats:           []saml.NameIDFormat{PersistentNameIDFormat, EmailNameIDFormat},
		OnError: func(w http.ResponseWriter, _ *http.Request, status int, err error) {
			http.Error(w, err.Error(), status)
		},
	}
	if opts.Clock != nil {
		i.idp.Clock = dsig.NewFakeClock(opts.Clock)
	}
	mux.HandleFunc("/sso", i.idp.ServeSSO)
	mux.HandleFunc("/metadata", i.idp.ServeMetadata)
	for _, md := range opts.SPMetadata {
		i.AddServiceProvider(t, md)
	}
	return i
}

// AddServiceProvider trusts an SP by its metadata XML.
func (i *IdP) AddServiceProvider(t testing.TB, metadata []byte) {
	t.Helper()
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(metadata, &ed); err != nil {
		t.Fatalf("samltest: SP metadata: %v", err)
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.sps[ed.EntityID] = &ed
}

// EntityID is the IdP's entity ID and the Issuer of its responses.
func (i *IdP) EntityID() string { return i.idp.MetadataURL.String() }

// SSOURL is the IdP's HTTP-Redirect (and POST) SSO endpoint.
func (i *IdP) SSOURL() string { return i.idp.SSOURL.String() }

// MetadataURL is where the running server serves MetadataXML.
func (i *IdP) MetadataURL() string { return i.srv.URL + "/metadata" }

// Keys is the key pair the IdP signs with.
func (i *IdP) Keys() KeyPair { return i.keys }

// CertificatePEM is the IdP's signing certificate in PEM.
func (i *IdP) CertificatePEM() string { return i.keys.CertificatePEM() }

// MetadataXML is the IdP's metadata document.
func (i *IdP) MetadataXML() []byte {
	b, err := xml.MarshalIndent(i.idp.Metadata(), "", "  ")
	if err != nil {
		panic(fmt.Sprintf("samltest: marshal metadata: %v", err))
	}
	return b
}

// Respond plays the user's browser: it follows redirectURL (an SP's signed
// HTTP-Redirect AuthnRequest) to the IdP, logs in as u, and returns the form
// the IdP answers with. The IdP validates the request as it would in
// production, signature included.
func (i *IdP) Respond(t testing.TB, redirectURL string, u User) Post {
	t.Helper()
	key := randomID()
	i.mu.Lock()
	i.pending[key] = u
	i.mu.Unlock()
	req, err := http.NewRequest(http.MethodGet, redirectURL, nil)
	if err != nil {
		t.Fatalf("samltest: redirect URL: %v", err)
	}
	req.Header.Set(loginHeader, key)
	res, err := i.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("samltest: GET %s: %v", redirectURL, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("samltest: IdP answered %d: %s", res.StatusCode, body)
	}
	return parseForm(t, body)
}

// RespondUnsolicited makes an IdP-initiated response for u to acsURL with
// audience as the Audience, whether or not that SP is registered: it is the
// IdP's own choice where to send an unsolicited assertion.
func (i *IdP) RespondUnsolicited(t testing.TB, acsURL, audience string, u User) Post {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, i.SSOURL(), nil)
	req := &saml.IdpAuthnRequest{
		IDP:                     i.idp,
		HTTPRequest:             r,
		Now:                     i.now(),
		ServiceProviderMetadata: &saml.EntityDescriptor{EntityID: audience},
		SPSSODescriptor:         &saml.SPSSODescriptor{},
		ACSEndpoint:             &saml.IndexedEndpoint{Binding: saml.HTTPPostBinding, Location: acsURL, Index: 1},
	}
	if err := (saml.DefaultAssertionMaker{}).MakeAssertion(req, i.session(u)); err != nil {
		t.Fatalf("samltest: make assertion: %v", err)
	}
	form, err := req.PostBinding()
	if err != nil {
		t.Fatalf("samltest: make response: %v", err)
	}
	return Post{URL: form.URL, SAMLResponse: form.SAMLResponse, RelayState: form.RelayState}
}

func (i *IdP) now() time.Time {
	if i.idp.Clock != nil {
		return i.idp.Clock.Now()
	}
	return time.Now()
}

// session is the crewjam session asserting u.
func (i *IdP) session(u User) *saml.Session {
	format := u.NameIDFormat
	if format == "" {
		format = PersistentNameIDFormat
	}
	s := &saml.Session{
		ID:           randomID(),
		CreateTime:   i.now(),
		ExpireTime:   i.now().Add(time.Hour),
		Index:        randomID(),
		NameID:       u.NameID,
		NameIDFormat: format,
		UserEmail:    u.Email,
	}
	for name, values := range u.Attributes {
		a := saml.Attribute{Name: name, NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"}
		for _, v := range values {
			a.Values = append(a.Values, saml.AttributeValue{Type: "xs:string", Value: v})
		}
		s.CustomAttributes = append(s.CustomAttributes, a)
	}
	return s
}

// spLookup is crewjam's ServiceProviderProvider over the registered SPs.
type spLookup struct{ i *IdP }

func (l spLookup) GetServiceProvider(_ *http.Request, id string) (*saml.EntityDescriptor, error) {
	l.i.mu.Lock()
	defer l.i.mu.Unlock()
	if ed, ok := l.i.sps[id]; ok {
		return ed, nil
	}
	return nil, os.ErrNotExist
}

// sessions is crewjam's SessionProvider: the pending login named by the
// request header, used once.
type sessions struct{ i *IdP }

func (s sessions) GetSession(w http.ResponseWriter, r *http.Request, _ *saml.IdpAuthnRequest) *saml.Session {
	key := r.Header.Get(loginHeader)
	s.i.mu.Lock()
	u, ok := s.i.pending[key]
	delete(s.i.pending, key)
	s.i.mu.Unlock()
	if !ok {
		http.Error(w, "samltest: no pending login", http.StatusForbidden)
		return nil
	}
	return s.i.session(u)
}

var (
	formAction = regexp.MustCompile(`<form[^>]*action="([^"]*)"`)
	formInput  = regexp.MustCompile(`<input type="hidden" name="(SAMLResponse|RelayState)" value="([^"]*)"`)
)

// parseForm reads crewjam's auto-submitting response form.
func parseForm(t testing.TB, body []byte) Post {
	t.Helper()
	var p Post
	if m := formAction.FindSubmatch(body); m != nil {
		p.URL = html.UnescapeString(string(m[1]))
	}
	for _, m := range formInput.FindAllSubmatch(body, -1) {
		v := html.UnescapeString(string(m[2]))
		switch string(m[1]) {
		case "SAMLResponse":
			p.SAMLResponse = v
		case "RelayState":
			p.RelayState = v
		}
	}
	if p.SAMLResponse == "" {
		t.Fatalf("samltest: no SAMLResponse in the IdP's answer: %s", body)
	}
	return p
}

func randomID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(errors.New("samltest: crypto/rand failed"))
	}
	return hex.EncodeToString(b)
}
