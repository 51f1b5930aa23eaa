package samltest

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// Signature algorithms for Signing.Method.
const (
	RSASHA256 = dsig.RSASHA256SignatureMethod
	RSASHA1   = dsig.RSASHA1SignatureMethod
)

// Signing says what Resign signs and how.
type Signing struct {
	Response  bool // sign the Response
	Assertion bool // sign the Assertion
	// Method defaults to RSASHA256; the digest uses the same hash.
	Method string
	// Keys defaults to the IdP's own.
	Keys *KeyPair
	// OmitKeyInfo leaves the certificate out of the signatures.
	OmitKeyInfo bool
}

// Decode parses a base64 SAMLResponse form value.
func Decode(t testing.TB, samlResponse string) *etree.Document {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(samlResponse)
	if err != nil {
		t.Fatalf("samltest: base64: %v", err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatalf("samltest: parse response: %v", err)
	}
	return doc
}

// Encode serializes doc as a base64 form value, byte for byte as it stands.
func Encode(t testing.TB, doc *etree.Document) string {
	t.Helper()
	raw, err := doc.WriteToBytes()
	if err != nil {
		t.Fatalf("samltest: serialize response: %v", err)
	}
	return base64.StdEncoding.EncodeToString(raw)
}

// Edit applies edit to the response without touching any signature: what an
// attacker without the IdP key can do.
func Edit(t testing.TB, samlResponse string, edit func(root *etree.Element)) string {
	t.Helper()
	doc := Decode(t, samlResponse)
	edit(doc.Root())
	return Encode(t, doc)
}

// StripSignatures removes every ds:Signature.
func StripSignatures(t testing.TB, samlResponse string) string {
	t.Helper()
	return Edit(t, samlResponse, removeSignatures)
}

// Resign removes every signature, applies edit (may be nil), then signs as s
// says: the Assertion first, then the Response around it. With the IdP's own
// key this is what the IdP itself could send, so it tests the SP's field
// checks rather than its signature checks.
func (i *IdP) Resign(t testing.TB, samlResponse string, s Signing, edit func(root *etree.Element)) string {
	t.Helper()
	doc := Decode(t, samlResponse)
	root := doc.Root()
	removeSignatures(root)
	if edit != nil {
		edit(root)
	}
	keys := i.keys
	if s.Keys != nil {
		keys = *s.Keys
	}
	if s.Method == "" {
		s.Method = RSASHA256
	}
	if s.Assertion {
		a := Find(root, "Assertion")
		if a == nil {
			t.Fatal("samltest: no Assertion to sign")
		}
		sign(t, a, keys.Key, keys.Cert, s)
	}
	if s.Response {
		sign(t, root, keys.Key, keys.Cert, s)
	}
	return Encode(t, doc)
}

// sign puts an enveloped exclusive-c14n signature into el right after its
// Issuer, where the SAML schema wants it.
func sign(t testing.TB, el *etree.Element, key *rsa.PrivateKey, cert *x509.Certificate, s Signing) {
	t.Helper()
	ctx, err := dsig.NewSigningContext(key, [][]byte{cert.Raw})
	if err != nil {
		t.Fatalf("samltest: signing context: %v", err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(s.Method); err != nil {
		t.Fatalf("samltest: signature method: %v", err)
	}
	sig, err := ctx.ConstructSignature(el, true)
	if err != nil {
		t.Fatalf("samltest: sign %s: %v", el.Tag, err)
	}
	if s.OmitKeyInfo {
		if ki := Find(sig, "KeyInfo"); ki != nil {
			sig.RemoveChild(ki)
		}
	}
	at := 0
	if iss := directChild(el, "Issuer"); iss != nil {
		at = iss.Index() + 1
	}
	el.InsertChildAt(at, sig)
}

// Find returns the first element named local (any namespace) at or under
// el, depth first, or nil.
func Find(el *etree.Element, local string) *etree.Element {
	if el.Tag == local {
		return el
	}
	for _, c := range el.ChildElements() {
		if f := Find(c, local); f != nil {
			return f
		}
	}
	return nil
}

// FindAll returns every element named local (any namespace) at or under el.
func FindAll(el *etree.Element, local string) []*etree.Element {
	var out []*etree.Element
	if el.Tag == local {
		out = append(out, el)
	}
	for _, c := range el.ChildElements() {
		out = append(out, FindAll(c, local)...)
	}
	return out
}

// SetAttr sets attribute key on the first element named local under root.
func SetAttr(root *etree.Element, local, key, value string) {
	if el := Find(root, local); el != nil {
		el.CreateAttr(key, value)
	}
}

// SetText sets the text of the first element named local under root.
func SetText(root *etree.Element, local, text string) {
	if el := Find(root, local); el != nil {
		el.SetText(text)
	}
}

func directChild(el *etree.Element, local string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == local {
			return c
		}
	}
	return nil
}

func removeSignatures(root *etree.Element) {
	for _, sig := range FindAll(root, "Signature") {
		if p := sig.Parent(); p != nil {
			p.RemoveChild(sig)
		}
	}
}

// InjectNameIDComment splits the NameID text with an empty comment after its
// first len(prefix) bytes, the way the 2018 comment-truncation attacks did:
// "admin@corp.com.evil.com" becomes "admin@corp.com<!---->.evil.com". The
// exclusive c14n the signature uses drops comments, so the signature still
// verifies: no key is needed.
func InjectNameIDComment(t testing.TB, samlResponse, prefix string) string {
	t.Helper()
	return Edit(t, samlResponse, func(root *etree.Element) {
		n := Find(root, "NameID")
		if n == nil || !strings.HasPrefix(n.Text(), prefix) {
			t.Fatalf("samltest: NameID does not start with %q", prefix)
		}
		text := n.Text()
		n.SetText(text[:len(prefix)])
		n.CreateComment("")
		n.CreateText(text[len(prefix):])
	})
}

// WithDoctype prepends a DOCTYPE declaring an entity and makes the NameID
// use it, keeping the rest (signatures included) as is.
func WithDoctype(t testing.TB, samlResponse, entityValue string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(samlResponse)
	if err != nil {
		t.Fatalf("samltest: base64: %v", err)
	}
	doc := Decode(t, samlResponse)
	name := Find(doc.Root(), "NameID").Text()
	s := string(raw)
	s = strings.Replace(s, ">"+name+"<", ">&victim;<", 1)
	s = `<?xml version="1.0"?><!DOCTYPE Response [<!ENTITY victim "` + entityValue + `">]>` + s
	return base64.StdEncoding.EncodeToString([]byte(s))
}
