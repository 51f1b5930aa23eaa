package saml

import (
	"crypto/x509"
	"encoding/base64"
	"net/url"
	"strings"

	"github.com/beevik/etree"
	saml2 "github.com/russellhaering/gosaml2"

	"authd/core/auth"
	"authd/ports"
)

// maxMetadataBytes caps IdP metadata; one IdP's descriptor is a few KiB.
const maxMetadataBytes = 1 << 20

// ParseIdPMetadata reads IdP metadata XML: an EntityDescriptor, or the first
// entity with an IDPSSODescriptor in an EntitiesDescriptor. It returns the
// entity ID, the HTTP-Redirect SingleSignOnService location and every signing
// certificate (KeyDescriptor use="signing" or without use) as PEM. Anything
// missing or unreadable is auth.ErrInvalidRequest with a message.
func (s *SP) ParseIdPMetadata(xmlText []byte) (ports.IdPMetadata, error) {
	if len(xmlText) > maxMetadataBytes {
		return ports.IdPMetadata{}, invalidMetadata("The metadata is too large.")
	}
	doc, err := parseXML(xmlText)
	if err != nil {
		if hasDirective(xmlText) {
			return ports.IdPMetadata{}, invalidMetadata("The metadata must not contain a DOCTYPE.")
		}
		return ports.IdPMetadata{}, invalidMetadata("The metadata is not well-formed XML.")
	}
	ed, idp := findIdP(doc.Root())
	if ed == nil {
		return ports.IdPMetadata{}, invalidMetadata("The metadata has no EntityDescriptor with an IDPSSODescriptor.")
	}
	md := ports.IdPMetadata{EntityID: strings.TrimSpace(ed.SelectAttrValue("entityID", ""))}
	if md.EntityID == "" {
		return ports.IdPMetadata{}, invalidMetadata("The metadata has no entityID.")
	}
	for _, sso := range children(idp, nsMetadata, "SingleSignOnService") {
		if sso.SelectAttrValue("Binding", "") == saml2.BindingHttpRedirect {
			md.SSOURL = strings.TrimSpace(sso.SelectAttrValue("Location", ""))
			break
		}
	}
	if u, err := url.Parse(md.SSOURL); md.SSOURL == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ports.IdPMetadata{}, invalidMetadata("The metadata has no HTTP-Redirect SingleSignOnService with an http(s) location.")
	}
	seen := map[string]bool{}
	for _, kd := range children(idp, nsMetadata, "KeyDescriptor") {
		if use := kd.SelectAttrValue("use", ""); use != "" && use != "signing" {
			continue
		}
		for _, der := range keyDescriptorCerts(kd) {
			if _, err := x509.ParseCertificate(der); err != nil {
				return ports.IdPMetadata{}, invalidMetadata("The metadata has a signing certificate that cannot be parsed.")
			}
			if p := certificatePEM(der); !seen[p] {
				seen[p] = true
				md.Certificates = append(md.Certificates, p)
			}
		}
	}
	if len(md.Certificates) == 0 {
		return ports.IdPMetadata{}, invalidMetadata("The metadata has no signing certificate.")
	}
	return md, nil
}

func invalidMetadata(msg string) error {
	return auth.ErrInvalidRequest.WithMessage(msg)
}

// findIdP returns the first EntityDescriptor at or under root that has an
// IDPSSODescriptor, and that descriptor.
func findIdP(root *etree.Element) (ed, idp *etree.Element) {
	if is(root, nsMetadata, "EntityDescriptor") {
		if d := child(root, nsMetadata, "IDPSSODescriptor"); d != nil {
			return root, d
		}
		return nil, nil
	}
	if !is(root, nsMetadata, "EntitiesDescriptor") {
		return nil, nil
	}
	for _, c := range root.ChildElements() {
		if ed, idp := findIdP(c); ed != nil {
			return ed, idp
		}
	}
	return nil, nil
}

// keyDescriptorCerts returns the DER bytes of every ds:X509Certificate in a
// KeyDescriptor's KeyInfo; undecodable base64 yields an empty entry so the
// caller refuses it.
func keyDescriptorCerts(kd *etree.Element) [][]byte {
	var out [][]byte
	for _, ki := range children(kd, nsDSig, "KeyInfo") {
		for _, xd := range children(ki, nsDSig, "X509Data") {
			for _, c := range children(xd, nsDSig, "X509Certificate") {
				der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c.Text()), ""))
				if err != nil {
					der = nil
				}
				out = append(out, der)
			}
		}
	}
	return out
}
