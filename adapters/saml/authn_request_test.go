package saml

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"authd/adapters/saml/samltest"
)

func TestAuthnRequest(t *testing.T) {
	t.Parallel()
	b := setup(t)

	t.Run("QueryIsSignedWithRSASHA256ByOurKey", func(t *testing.T) {
		t.Parallel()
		const relay = "/next?a=1&b=ü"
		req, err := b.sp.AuthnRequest(b.provider, relay, false)
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(req.RedirectURL)
		if err != nil {
			t.Fatal(err)
		}
		if got := u.Scheme + "://" + u.Host + u.Path; got != b.provider.SSOURL {
			t.Fatalf("redirect to %q; want %q", got, b.provider.SSOURL)
		}
		q := u.Query()
		if q.Get("SigAlg") != "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" || q.Get("RelayState") != relay {
			t.Fatalf("SigAlg %q, RelayState %q", q.Get("SigAlg"), q.Get("RelayState"))
		}
		// saml-bindings §3.4.4.1: the signature covers the parameters as
		// they appear, URL-encoded, in this order.
		raw := map[string]string{}
		for _, part := range strings.Split(u.RawQuery, "&") {
			k, _, _ := strings.Cut(part, "=")
			raw[k] = part
		}
		signed := raw["SAMLRequest"] + "&" + raw["RelayState"] + "&" + raw["SigAlg"]
		sig, err := base64.StdEncoding.DecodeString(q.Get("Signature"))
		if err != nil {
			t.Fatal(err)
		}
		digest := sha256.Sum256([]byte(signed))
		if err := rsa.VerifyPKCS1v15(&spKeys().Key.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
			t.Fatalf("signature does not verify with our certificate: %v", err)
		}
		tampered := sha256.Sum256([]byte(strings.Replace(signed, "RelayState=", "RelayState=x", 1)))
		if rsa.VerifyPKCS1v15(&spKeys().Key.PublicKey, crypto.SHA256, tampered[:], sig) == nil {
			t.Fatal("signature verifies over other content")
		}
	})
	t.Run("RequestCarriesTheSPAndProvider", func(t *testing.T) {
		t.Parallel()
		req, err := b.sp.AuthnRequest(b.provider, "r", false)
		if err != nil {
			t.Fatal(err)
		}
		root := authnRequestXML(t, req.RedirectURL)
		want := map[string]string{
			"ID":                          req.ID,
			"Destination":                 b.provider.SSOURL,
			"AssertionConsumerServiceURL": testACSURL,
			"ProtocolBinding":             "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
			"Version":                     "2.0",
		}
		for k, v := range want {
			if got := root.SelectAttrValue(k, ""); got != v {
				t.Errorf("%s = %q; want %q", k, got, v)
			}
		}
		if root.SelectAttr("ForceAuthn") != nil {
			t.Error("ForceAuthn present though not asked")
		}
		if iss := samltest.Find(root, "Issuer"); iss == nil || iss.Text() != testEntityID {
			t.Errorf("Issuer = %v", iss)
		}
		pol := samltest.Find(root, "NameIDPolicy")
		if pol == nil || pol.SelectAttrValue("Format", "") != samltest.PersistentNameIDFormat || pol.SelectAttrValue("AllowCreate", "") != "true" {
			t.Errorf("NameIDPolicy = %v", pol)
		}
		if samltest.Find(root, "Signature") != nil {
			t.Error("the redirect binding's XML carries an enveloped signature")
		}
	})
	t.Run("ForceAuthnWhenAsked", func(t *testing.T) {
		t.Parallel()
		req, err := b.sp.AuthnRequest(b.provider, "", true)
		if err != nil {
			t.Fatal(err)
		}
		if got := authnRequestXML(t, req.RedirectURL).SelectAttrValue("ForceAuthn", ""); got != "true" {
			t.Fatalf("ForceAuthn = %q", got)
		}
		// The IdP accepts it, signature and all.
		post := b.idp.Respond(t, req.RedirectURL, alice)
		got, err := b.parse(post.SAMLResponse)
		if err != nil || got.InResponseTo != req.ID {
			t.Fatalf("InResponseTo %q, %v", got.InResponseTo, err)
		}
	})
	t.Run("IDsAreUniqueAndUnpredictable", func(t *testing.T) {
		t.Parallel()
		seen := map[string]bool{}
		for range 200 {
			req, err := b.sp.AuthnRequest(b.provider, "", false)
			if err != nil {
				t.Fatal(err)
			}
			// An xs:ID must not start with a digit; 122 random bits follow.
			if !strings.HasPrefix(req.ID, "_") || len(req.ID) < 33 || seen[req.ID] {
				t.Fatalf("ID %q (seen before: %v)", req.ID, seen[req.ID])
			}
			seen[req.ID] = true
		}
	})
}

// authnRequestXML inflates the SAMLRequest of a redirect URL.
func authnRequestXML(t *testing.T, redirectURL string) *etree.Element {
	t.Helper()
	root := samltest.DecodeRedirect(t, redirectURL)
	if root.Tag != "AuthnRequest" {
		t.Fatalf("root is %s", root.Tag)
	}
	return root
}
