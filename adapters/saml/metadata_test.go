package saml

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/russellhaering/gosaml2/types"

	"authd/adapters/saml/samltest"
	"authd/core/auth"
)

func TestMetadata(t *testing.T) {
	t.Parallel()
	b := setup(t)
	md, err := b.sp.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	var ed types.EntityDescriptor
	if err := xml.Unmarshal(md, &ed); err != nil {
		t.Fatalf("metadata does not parse back: %v", err)
	}
	d := ed.SPSSODescriptor
	if ed.EntityID != testEntityID || d == nil {
		t.Fatalf("EntityID %q, SPSSODescriptor %v", ed.EntityID, d)
	}
	if !d.AuthnRequestsSigned || !d.WantAssertionsSigned {
		t.Errorf("AuthnRequestsSigned %v, WantAssertionsSigned %v", d.AuthnRequestsSigned, d.WantAssertionsSigned)
	}
	if len(d.AssertionConsumerServices) != 1 || d.AssertionConsumerServices[0].Location != testACSURL ||
		d.AssertionConsumerServices[0].Binding != "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" {
		t.Errorf("ACS = %+v", d.AssertionConsumerServices)
	}
	if want := []string{samltest.PersistentNameIDFormat, samltest.EmailNameIDFormat}; !slices.Equal(d.NameIDFormats, want) {
		t.Errorf("NameIDFormats = %v", d.NameIDFormats)
	}
	// The signing certificate is really there, and nothing invites IdPs to
	// encrypt to us.
	if len(d.KeyDescriptors) != 1 || d.KeyDescriptors[0].Use != "signing" {
		t.Fatalf("KeyDescriptors = %+v", d.KeyDescriptors)
	}
	certs := d.KeyDescriptors[0].KeyInfo.X509Data.X509Certificates
	if len(certs) != 1 {
		t.Fatalf("certificates = %d", len(certs))
	}
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(certs[0].Data))
	if err != nil || !slices.Equal(der, spKeys().Cert.Raw) {
		t.Fatalf("the metadata certificate is not ours (%v)", err)
	}
	if !ed.ValidUntil.After(time.Now()) {
		t.Errorf("validUntil %v is past", ed.ValidUntil)
	}
}

func TestParseIdPMetadata(t *testing.T) {
	t.Parallel()
	b := setup(t)
	base := b.idp.MetadataXML()

	edit := func(t *testing.T, f func(root *etree.Element)) []byte {
		t.Helper()
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(base); err != nil {
			t.Fatal(err)
		}
		f(doc.Root())
		out, err := doc.WriteToBytes()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	t.Run("CrewjamIdPMetadata", func(t *testing.T) {
		t.Parallel()
		md, err := b.sp.ParseIdPMetadata(base)
		if err != nil {
			t.Fatal(err)
		}
		if md.EntityID != b.idp.EntityID() || md.SSOURL != b.idp.SSOURL() {
			t.Fatalf("EntityID %q, SSOURL %q", md.EntityID, md.SSOURL)
		}
		if !slices.Equal(md.Certificates, []string{b.idp.CertificatePEM()}) {
			t.Fatalf("Certificates = %q", md.Certificates)
		}
		// The result is a working provider.
		p := b.provider
		p.EntityID, p.SSOURL, p.Certificates = md.EntityID, md.SSOURL, md.Certificates
		_, post := b.login(t, alice)
		if _, err := b.sp.ParseResponse(p, post.SAMLResponse, time.Now()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("EveryCertificateForSigningOrWithoutUse", func(t *testing.T) {
		t.Parallel()
		old := oldKey()
		xmlText := edit(t, func(r *etree.Element) {
			kd := samltest.Find(r, "KeyDescriptor")
			extra := kd.Copy()
			extra.RemoveAttr("use")
			samltest.SetText(extra, "X509Certificate", base64.StdEncoding.EncodeToString(old.Cert.Raw))
			kd.Parent().InsertChildAt(kd.Index(), extra)
		})
		md, err := b.sp.ParseIdPMetadata(xmlText)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{old.CertificatePEM(), b.idp.CertificatePEM()}; !slices.Equal(md.Certificates, want) {
			t.Fatalf("Certificates = %d; want the unlabelled one and the signing one", len(md.Certificates))
		}
	})
	t.Run("FirstIdPInEntitiesDescriptor", func(t *testing.T) {
		t.Parallel()
		sp, _ := b.sp.Metadata()
		spDoc, idpDoc := etree.NewDocument(), etree.NewDocument()
		_ = spDoc.ReadFromBytes(sp)
		_ = idpDoc.ReadFromBytes(base)
		all := etree.NewDocument()
		root := all.CreateElement("md:EntitiesDescriptor")
		root.CreateAttr("xmlns:md", "urn:oasis:names:tc:SAML:2.0:metadata")
		root.AddChild(spDoc.Root())
		root.AddChild(idpDoc.Root())
		xmlText, _ := all.WriteToBytes()
		md, err := b.sp.ParseIdPMetadata(xmlText)
		if err != nil || md.EntityID != b.idp.EntityID() {
			t.Fatalf("EntityID %q, %v", md.EntityID, err)
		}
	})

	invalid := map[string][]byte{
		"NoRedirectSSO": edit(t, func(r *etree.Element) {
			for _, s := range samltest.FindAll(r, "SingleSignOnService") {
				if strings.HasSuffix(s.SelectAttrValue("Binding", ""), "HTTP-Redirect") {
					s.Parent().RemoveChild(s)
				}
			}
		}),
		"OnlyEncryptionKey": edit(t, func(r *etree.Element) {
			for _, kd := range samltest.FindAll(r, "KeyDescriptor") {
				if kd.SelectAttrValue("use", "") == "signing" {
					kd.Parent().RemoveChild(kd)
				}
			}
		}),
		"NoEntityID":        edit(t, func(r *etree.Element) { r.RemoveAttr("entityID") }),
		"BrokenCertificate": edit(t, func(r *etree.Element) { samltest.SetText(r, "X509Certificate", "bm90IGEgY2VydA==") }),
		"Doctype":           append([]byte(`<!DOCTYPE x [<!ENTITY e "v">]>`), base...),
		"NotXML":            []byte("not xml"),
		"SPMetadata":        func() []byte { m, _ := b.sp.Metadata(); return m }(),
	}
	for name, xmlText := range invalid {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := b.sp.ParseIdPMetadata(xmlText)
			var ae *auth.Error
			if !errors.Is(err, auth.ErrInvalidRequest) || !errors.As(err, &ae) || ae.Message == auth.ErrInvalidRequest.Message {
				t.Fatalf("err = %v; want invalid_request with a specific message", err)
			}
		})
	}
}
