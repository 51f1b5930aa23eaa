package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"authd/adapters/saml/samltest"
)

func TestSAMLServiceProviderSetup(t *testing.T) {
	t.Parallel()
	e := startSSO(t, ssoOptions{})
	ctx := context.Background()

	t.Run("MetadataCarriesTheStoredSigningCertificate", func(t *testing.T) {
		md := e.admin.do("GET", "/v1/saml/metadata", nil).want(t, http.StatusOK)
		if ct := md.Header.Get("Content-Type"); ct != "application/samlmetadata+xml" {
			t.Fatalf("content type %q", ct)
		}
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(md.body); err != nil {
			t.Fatal(err)
		}
		root := doc.Root()
		if root.SelectAttrValue("entityID", "") != e.entityID {
			t.Fatalf("entityID %q, want %s", root.SelectAttrValue("entityID", ""), e.entityID)
		}
		acs := samltest.Find(root, "AssertionConsumerService")
		if acs == nil || acs.SelectAttrValue("Location", "") != e.acsURL ||
			acs.SelectAttrValue("Binding", "") != "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" {
			t.Fatalf("no HTTP-POST ACS at %s in\n%s", e.acsURL, md.body)
		}
		var formats []string
		for _, f := range samltest.FindAll(root, "NameIDFormat") {
			formats = append(formats, f.Text())
		}
		if !slices.Contains(formats, "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent") ||
			!slices.Contains(formats, "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress") {
			t.Fatalf("NameID formats %v", formats)
		}
		var signing *etree.Element
		for _, kd := range samltest.FindAll(root, "KeyDescriptor") {
			if kd.SelectAttrValue("use", "") == "signing" {
				signing = kd
			}
		}
		if signing == nil || samltest.Find(signing, "X509Certificate") == nil {
			t.Fatalf("the metadata carries no signing certificate:\n%s", md.body)
		}
		der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(samltest.Find(signing, "X509Certificate").Text()), ""))
		if err != nil {
			t.Fatal(err)
		}
		// Generated on first start and stored: the one in the database.
		var stored []byte
		if err := e.in.db.Pool.QueryRow(ctx, `SELECT value FROM instance_secrets WHERE name = 'saml_sp_key_pair'`).Scan(&stored); err != nil {
			t.Fatalf("no stored SP key pair: %v", err)
		}
		i := bytes.Index(stored, []byte("-----BEGIN CERTIFICATE-----"))
		block, _ := pem.Decode(stored[i:])
		if block == nil || !bytes.Equal(block.Bytes, der) {
			t.Fatal("the metadata's certificate is not the stored one")
		}
		if _, err := x509.ParseCertificate(der); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("RestartKeepsTheKeyPair", func(t *testing.T) {
		md1 := e.admin.do("GET", "/v1/saml/metadata", nil).want(t, http.StatusOK).body
		again := startAuthdOn(t, e.in.db, map[string]string{"AUTHD_PUBLIC_URL": e.in.base})
		b := again.browser("curl/8")
		b.t = t
		md2 := b.do("GET", "/v1/saml/metadata", nil).want(t, http.StatusOK).body
		if signingCert(t, md1) != signingCert(t, md2) {
			t.Fatal("a second process signs with another key")
		}
	})
	t.Run("ConfiguredKeyPairIsUsed", func(t *testing.T) {
		kp := samltest.NewKeyPair(t, "configured sp")
		dir := t.TempDir()
		keyFile := filepath.Join(dir, "sp.key")
		keyDER, err := x509.MarshalPKCS8PrivateKey(kp.Key)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
			t.Fatal(err)
		}
		in := startAuthd(t, map[string]string{"AUTHD_SAML_SP_KEY": keyFile, "AUTHD_SAML_SP_CERT": kp.CertificatePEM()})
		b := in.browser("curl/8")
		b.t = t
		md := b.do("GET", "/v1/saml/metadata", nil).want(t, http.StatusOK).body
		if signingCert(t, md) != base64.StdEncoding.EncodeToString(kp.Cert.Raw) {
			t.Fatal("the metadata does not carry the configured certificate")
		}
	})
	t.Run("LoginRedirectSetsTheBindingCookie", func(t *testing.T) {
		b := e.browserFor(t, "Mozilla/5.0")
		resp := b.do("GET", "/v1/sso/saml/login?domain=CORP.example", nil).want(t, http.StatusFound)
		c := setCookie(t, resp, "authd_saml")
		// Plain http: Lax (None needs Secure); the https case is tested in
		// the httpapi package.
		if !c.HttpOnly || c.Path != "/" || c.MaxAge != 300 || len(c.Value) != 43 {
			t.Fatalf("binding cookie %+v", c)
		}
		b.do("GET", "/v1/sso/saml/login?domain=other.example", nil).want(t, http.StatusNotFound, "no_sso_provider")
		b.do("GET", "/v1/sso/saml/login?domain=corp.example&return_to=%2F%2Fevil.example", nil).
			want(t, http.StatusBadRequest, "invalid_return_to")
		b.do("GET", "/v1/sso/saml/login?domain=corp.example&return_to=https%3A%2F%2Fevil.example%2F", nil).
			want(t, http.StatusBadRequest, "invalid_return_to")
		b.do("GET", "/v1/sso/saml/login?domain=corp.example&return_to=https%3A%2F%2Fapp.example%2Fhome", nil).
			want(t, http.StatusFound)
	})
	t.Run("ACSIsExemptFromTheCrossOriginCheckOnly", func(t *testing.T) {
		b := e.browserFor(t, "Mozilla/5.0")
		b.headers["Origin"] = "https://evil.example"
		b.headers["Sec-Fetch-Site"] = "cross-site"
		b.do("POST", "/v1/sso/discover", map[string]any{"email": "x@corp.example"}).want(t, http.StatusForbidden, "cross_origin_request")
		// The ACS takes the cross-site POST and judges the response itself.
		wantRejected(t, e.postACS(t, b, "bm90IFNBTUw=", ""), "malformed")
	})
}

// signingCert is the base64 signing certificate of SP metadata.
func signingCert(t *testing.T, md []byte) string {
	t.Helper()
	var ed struct {
		SP struct {
			Keys []struct {
				Use  string `xml:"use,attr"`
				Cert string `xml:"KeyInfo>X509Data>X509Certificate"`
			} `xml:"KeyDescriptor"`
		} `xml:"SPSSODescriptor"`
	}
	if err := xml.Unmarshal(md, &ed); err != nil {
		t.Fatal(err)
	}
	for _, k := range ed.SP.Keys {
		if k.Use == "signing" {
			return strings.Join(strings.Fields(k.Cert), "")
		}
	}
	t.Fatal("no signing certificate in the metadata")
	return ""
}

// TestSAMLBehindHTTPS runs authd as it runs behind a TLS-terminating proxy:
// an https public URL over a plain listener. The binding cookie must then
// survive the IdP's cross-site POST: SameSite=None, Secure, __Host-.
func TestSAMLBehindHTTPS(t *testing.T) {
	t.Parallel()
	const public = "https://auth.example.test"
	e := startSSO(t, ssoOptions{env: map[string]string{"AUTHD_PUBLIC_URL": public}})
	b := e.browserFor(t, "Mozilla/5.0")
	resp := b.do("GET", "/v1/sso/saml/login?domain=corp.example&return_to=%2Fhome", nil).want(t, http.StatusFound)
	binding := setCookie(t, resp, "__Host-authd_saml")
	if !binding.Secure || binding.SameSite != http.SameSiteNoneMode || !binding.HttpOnly || binding.Path != "/" ||
		binding.Domain != "" || binding.MaxAge != 300 {
		t.Fatalf("binding cookie %+v; want __Host-, Secure, SameSite=None, HttpOnly, Path=/, 5 minutes", binding)
	}
	post := e.idp.Respond(t, resp.Header.Get("Location"), alice)
	if post.URL != public+"/v1/saml/acs" {
		t.Fatalf("the IdP posts to %q", post.URL)
	}
	// What the browser sends the proxy: the IdP's cross-site form, with the
	// SameSite=None cookie. (Go's cookie jar keeps Secure cookies off plain
	// http, so the cookie goes by hand.)
	req, _ := http.NewRequest(http.MethodPost, e.in.base+"/v1/saml/acs",
		strings.NewReader(url.Values{"SAMLResponse": {post.SAMLResponse}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://idp.example.test")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.AddCookie(&http.Cookie{Name: binding.Name, Value: binding.Value})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	acs, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	acs.Body.Close()
	if acs.StatusCode != http.StatusSeeOther || acs.Header.Get("Location") != "/home" {
		t.Fatalf("ACS = %d to %q", acs.StatusCode, acs.Header.Get("Location"))
	}
	got := response{Response: acs}
	session := setCookie(t, got, "__Host-authd_session")
	if !session.Secure || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie %+v", session)
	}
	if cleared := setCookie(t, got, "__Host-authd_saml"); cleared.MaxAge >= 0 || !cleared.Secure {
		t.Fatalf("binding cookie not cleared: %+v", cleared)
	}
}
