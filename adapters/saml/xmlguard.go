package saml

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"strings"

	"github.com/beevik/etree"
	rtvalidator "github.com/mattermost/xml-roundtrip-validator"
	saml2 "github.com/russellhaering/gosaml2"
)

const (
	nsProtocol  = saml2.SAMLProtocolNamespace
	nsAssertion = saml2.SAMLAssertionNamespace
	nsMetadata  = "urn:oasis:names:tc:SAML:2.0:metadata"
	nsDSig      = "http://www.w3.org/2000/09/xmldsig#"

	// maxXMLTokens mirrors gosaml2's default token bound, so a response it
	// would refuse for size is refused here as too_large.
	maxXMLTokens = 50000
)

// Signature and digest algorithms accepted in responses. SHA-1 is refused by
// name; anything else not listed is refused as unsupported.
var (
	allowedSignatureMethods = map[string]bool{
		"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256":   true,
		"http://www.w3.org/2001/04/xmldsig-more#rsa-sha384":   true,
		"http://www.w3.org/2001/04/xmldsig-more#rsa-sha512":   true,
		"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256": true,
		"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384": true,
		"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512": true,
	}
	allowedDigestMethods = map[string]bool{
		"http://www.w3.org/2001/04/xmlenc#sha256":       true,
		"http://www.w3.org/2001/04/xmldsig-more#sha384": true,
		"http://www.w3.org/2001/04/xmlenc#sha512":       true,
	}
)

// decodeXML applies the size cap to the base64 form value, decodes it, and
// refuses XML that is unsafe to hand to any parser or signature verifier.
func decodeXML(formValue string, maxBytes int) ([]byte, *etree.Document, error) {
	if len(formValue) > maxBytes {
		return nil, nil, reject(ReasonTooLarge)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(formValue))
	if err != nil || len(raw) == 0 {
		return nil, nil, reject(ReasonMalformed)
	}
	doc, err := parseXML(raw)
	if err != nil {
		return nil, nil, err
	}
	return raw, doc, nil
}

// parseXML refuses DTDs (no entities, internal or external), duplicate
// attributes and what does not survive an encoding/xml round trip, then
// parses raw with etree. Errors are rejections.
func parseXML(raw []byte) (*etree.Document, error) {
	if hasDirective(raw) {
		return nil, reject(ReasonDoctypeRefused)
	}
	if 3*bytes.Count(raw, []byte("<"))+1 > maxXMLTokens {
		return nil, reject(ReasonTooLarge)
	}
	if err := scanTokens(raw); err != nil {
		return nil, err
	}
	if err := rtvalidator.Validate(bytes.NewReader(raw)); err != nil {
		return nil, reject(ReasonMalformed)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil || doc.Root() == nil {
		return nil, reject(ReasonMalformed)
	}
	return doc, nil
}

// hasDirective finds "<!DOCTYPE" or "<!ENTITY" in any letter case, before a
// decoder could stumble on an undeclared entity and report something vaguer.
func hasDirective(raw []byte) bool {
	upper := bytes.ToUpper(raw)
	return bytes.Contains(upper, []byte("<!DOCTYPE")) || bytes.Contains(upper, []byte("<!ENTITY"))
}

// scanTokens walks raw once with encoding/xml: any directive is a DTD, and a
// start tag repeating an attribute is refused because parsers disagree on
// which copy wins.
func scanTokens(raw []byte) error {
	d := xml.NewDecoder(bytes.NewReader(raw))
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return reject(ReasonMalformed)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return reject(ReasonDoctypeRefused)
		case xml.StartElement:
			seen := make(map[xml.Name]bool, len(t.Attr))
			for _, a := range t.Attr {
				if seen[a.Name] {
					return reject(ReasonMalformed)
				}
				seen[a.Name] = true
			}
		}
	}
}

// is reports whether el is the element ns:local.
func is(el *etree.Element, ns, local string) bool {
	return el != nil && el.Tag == local && el.NamespaceURI() == ns
}

// children returns el's child elements named ns:local.
func children(el *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if is(c, ns, local) {
			out = append(out, c)
		}
	}
	return out
}

// child returns el's first child element named ns:local, or nil.
func child(el *etree.Element, ns, local string) *etree.Element {
	for _, c := range el.ChildElements() {
		if is(c, ns, local) {
			return c
		}
	}
	return nil
}

// walk calls fn for el and every descendant element, depth first.
func walk(el *etree.Element, fn func(*etree.Element) error) error {
	if err := fn(el); err != nil {
		return err
	}
	for _, c := range el.ChildElements() {
		if err := walk(c, fn); err != nil {
			return err
		}
	}
	return nil
}

// checkHygiene refuses, from the raw tree and before any signature work,
// what authd never accepts: SHA-1 or unknown signature algorithms, comments
// or processing instructions inside a NameID or AttributeValue (they split
// the text so that parsers reading the first text node see a prefix), and
// encrypted assertions (our metadata offers no encryption key).
func checkHygiene(root *etree.Element) error {
	return walk(root, func(el *etree.Element) error {
		switch el.Tag {
		case "SignatureMethod", "DigestMethod":
			alg := el.SelectAttrValue("Algorithm", "")
			allowed := allowedSignatureMethods
			if el.Tag == "DigestMethod" {
				allowed = allowedDigestMethods
			}
			if strings.Contains(strings.ToLower(alg), "sha1") {
				return reject(ReasonSHA1Refused)
			}
			if !allowed[alg] {
				return reject(ReasonUnsupportedAlg)
			}
		case "NameID", "AttributeValue":
			for _, tok := range el.Child {
				switch tok.(type) {
				case *etree.Comment, *etree.ProcInst:
					if el.Tag == "NameID" {
						return reject(ReasonNameIDComment)
					}
					return reject(ReasonAttributeComment)
				}
			}
		case "EncryptedAssertion", "EncryptedID", "EncryptedAttribute":
			return reject(ReasonEncrypted)
		}
		return nil
	})
}

// checkStructure refuses any tree but one Response holding exactly one
// Assertion, as its direct child. gosaml2 already verified the element the
// values come from; this closes the door on wrapping variants that hide a
// second assertion anywhere else in the document.
func checkStructure(root *etree.Element) error {
	var assertions []*etree.Element
	responses := 0
	_ = walk(root, func(el *etree.Element) error {
		switch el.Tag {
		case "Assertion":
			assertions = append(assertions, el)
		case "Response":
			responses++
		}
		return nil
	})
	if responses != 1 || len(assertions) != 1 {
		return reject(ReasonAssertionCount)
	}
	if a := assertions[0]; a.Parent() != root || !is(a, nsAssertion, "Assertion") {
		return reject(ReasonAssertionCount)
	}
	return nil
}
