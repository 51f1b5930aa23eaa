package saml

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"authd/adapters/saml/samltest"
)

var (
	bothSigned      = samltest.Signing{Response: true, Assertion: true}
	responseSigned  = samltest.Signing{Response: true}
	assertionSigned = samltest.Signing{Assertion: true}
)

// resigned is a fresh response for alice, edited and signed again by the
// IdP's own key: a well-signed response whose content the SP must judge.
func (b *testBundle) resigned(t *testing.T, s samltest.Signing, edit func(root *etree.Element)) string {
	t.Helper()
	_, post := b.login(t, alice)
	return b.idp.Resign(t, post.SAMLResponse, s, edit)
}

func TestSignatureAttacksAreRejected(t *testing.T) {
	t.Parallel()
	b := setup(t)

	t.Run("UnsignedResponse", func(t *testing.T) {
		t.Parallel()
		_, post := b.login(t, alice)
		_, err := b.parse(samltest.StripSignatures(t, post.SAMLResponse))
		requireRejected(t, err, ReasonSignatureMissing)
	})
	t.Run("SignedByUnknownKey", func(t *testing.T) {
		t.Parallel()
		kp := evil()
		_, err := b.parse(b.resigned(t, samltest.Signing{Response: true, Assertion: true, Keys: &kp}, nil))
		requireRejected(t, err, ReasonSignatureInvalid)
	})
	t.Run("SignedByUnknownKeyWithoutKeyInfo", func(t *testing.T) {
		t.Parallel()
		kp := evil()
		_, err := b.parse(b.resigned(t, samltest.Signing{Response: true, Assertion: true, Keys: &kp, OmitKeyInfo: true}, nil))
		requireRejected(t, err, ReasonSignatureInvalid)
	})
	t.Run("AssertionModifiedAfterSigning", func(t *testing.T) {
		t.Parallel()
		for name, mode := range map[string]samltest.Signing{"BothSigned": bothSigned, "AssertionSigned": assertionSigned, "ResponseSigned": responseSigned} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				signed := b.resigned(t, mode, nil)
				_, err := b.parse(samltest.Edit(t, signed, func(root *etree.Element) {
					samltest.SetText(root, "NameID", "admin-0001")
				}))
				requireRejected(t, err, ReasonSignatureInvalid)
			})
		}
	})
	t.Run("AttributeAddedAfterSigning", func(t *testing.T) {
		t.Parallel()
		_, post := b.login(t, alice)
		_, err := b.parse(samltest.Edit(t, post.SAMLResponse, func(root *etree.Element) {
			v := samltest.Find(root, "AttributeValue")
			v.Parent().AddChild(v.Copy())
		}))
		requireRejected(t, err, ReasonSignatureInvalid)
	})
	t.Run("ResponseModifiedAfterSigning", func(t *testing.T) {
		t.Parallel()
		_, post := b.login(t, alice)
		_, err := b.parse(samltest.Edit(t, post.SAMLResponse, func(root *etree.Element) {
			root.CreateAttr("InResponseTo", "_forged")
		}))
		requireRejected(t, err, ReasonSignatureInvalid)
	})
	t.Run("SignatureValueBroken", func(t *testing.T) {
		t.Parallel()
		_, post := b.login(t, alice)
		_, err := b.parse(samltest.Edit(t, post.SAMLResponse, func(root *etree.Element) {
			for _, v := range samltest.FindAll(root, "SignatureValue") {
				v.SetText(base64.StdEncoding.EncodeToString(make([]byte, 256)))
			}
		}))
		requireRejected(t, err, ReasonSignatureInvalid)
	})
	t.Run("SHA1Signature", func(t *testing.T) {
		t.Parallel()
		kp := idpKey()
		md, _ := b.sp.Metadata()
		sha1IdP := samltest.NewIdP(t, samltest.Options{SPMetadata: [][]byte{md}, Keys: &kp, SignatureMethod: samltest.RSASHA1})
		p := b.provider
		p.EntityID, p.SSOURL = sha1IdP.EntityID(), sha1IdP.SSOURL()
		req, err := b.sp.AuthnRequest(p, "", false)
		if err != nil {
			t.Fatal(err)
		}
		post := sha1IdP.Respond(t, req.RedirectURL, alice)
		if !strings.Contains(decoded(t, post.SAMLResponse), "#rsa-sha1") {
			t.Fatal("the IdP did not sign with rsa-sha1")
		}
		_, err = b.sp.ParseResponse(p, post.SAMLResponse, time.Now())
		requireRejected(t, err, ReasonSHA1Refused)
	})
	t.Run("SHA1Digest", func(t *testing.T) {
		t.Parallel()
		_, post := b.login(t, alice)
		_, err := b.parse(samltest.Edit(t, post.SAMLResponse, func(root *etree.Element) {
			samltest.SetAttr(root, "DigestMethod", "Algorithm", "http://www.w3.org/2000/09/xmldsig#sha1")
		}))
		requireRejected(t, err, ReasonSHA1Refused)
	})
	t.Run("UnknownSignatureAlgorithm", func(t *testing.T) {
		t.Parallel()
		_, post := b.login(t, alice)
		_, err := b.parse(samltest.Edit(t, post.SAMLResponse, func(root *etree.Element) {
			samltest.SetAttr(root, "SignatureMethod", "Algorithm", "http://www.w3.org/2000/09/xmldsig#hmac-sha256")
		}))
		requireRejected(t, err, ReasonUnsupportedAlg)
	})
}

func TestXMLSignatureWrappingIsRejected(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const victim = "admin-0001"

	for n := 1; n <= 8; n++ {
		t.Run(samltest.XSWName(n), func(t *testing.T) {
			t.Parallel()
			// XSW1–2 wrap a Response signature, XSW3–8 an Assertion one;
			// each runs against the IdP signing only that element, and
			// against it signing both.
			modes := map[string]samltest.Signing{"BothSigned": bothSigned, "AssertionSigned": assertionSigned}
			if n <= 2 {
				modes = map[string]samltest.Signing{"BothSigned": bothSigned, "ResponseSigned": responseSigned}
			}
			for name, mode := range modes {
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					base := b.resigned(t, mode, nil)
					if _, err := b.parse(base); err != nil {
						t.Fatalf("the untampered response is refused: %v", err)
					}
					attack := samltest.XSW(t, base, n, samltest.EvilNameID(victim))

					got, err := b.parse(attack)
					if err == nil {
						t.Fatalf("XSW%d accepted with NameID %q", n, got.NameID)
					}
					// gosaml2's signature layer must refuse it on its own...
					requireRejected(t, err, ReasonSignatureInvalid, ReasonSignatureMissing)
					// ...and the structure check would have, too.
					requireRejected(t, checkStructure(samltest.Decode(t, attack).Root()), ReasonAssertionCount)
				})
			}
		})
	}
}

func TestFieldChecksRejectWellSignedResponses(t *testing.T) {
	t.Parallel()
	b := setup(t)

	cases := []struct {
		name   string
		edit   func(root *etree.Element)
		reason string
	}{
		{"WrongAudience", func(r *etree.Element) {
			samltest.SetText(r, "Audience", "https://other-sp.example/metadata")
		}, ReasonWrongAudience},
		{"SecondAudienceRestrictionWithoutUs", func(r *etree.Element) {
			ar := samltest.Find(r, "AudienceRestriction")
			other := ar.Copy()
			samltest.SetText(other, "Audience", "https://other-sp.example/metadata")
			ar.Parent().AddChild(other)
		}, ReasonWrongAudience},
		{"NoAudienceRestriction", func(r *etree.Element) {
			ar := samltest.Find(r, "AudienceRestriction")
			ar.Parent().RemoveChild(ar)
		}, ReasonWrongAudience},
		{"WrongIssuer", func(r *etree.Element) {
			for _, iss := range samltest.FindAll(r, "Issuer") {
				iss.SetText("https://evil-idp.example/metadata")
			}
		}, ReasonWrongIssuer},
		{"WrongAssertionIssuer", func(r *etree.Element) {
			samltest.SetText(samltest.Find(r, "Assertion"), "Issuer", "https://evil-idp.example/metadata")
		}, ReasonWrongIssuer},
		{"WrongDestination", func(r *etree.Element) {
			r.CreateAttr("Destination", "https://evil.example/acs")
		}, ReasonWrongDestination},
		{"SignedResponseWithoutDestination", func(r *etree.Element) {
			r.RemoveAttr("Destination")
		}, ReasonWrongDestination},
		{"WrongRecipient", func(r *etree.Element) {
			samltest.SetAttr(r, "SubjectConfirmationData", "Recipient", "https://evil.example/acs")
		}, ReasonWrongRecipient},
		{"NotBearer", func(r *etree.Element) {
			samltest.SetAttr(r, "SubjectConfirmation", "Method", "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key")
		}, ReasonUnsupportedSubject},
		{"StatusNotSuccess", func(r *etree.Element) {
			samltest.SetAttr(r, "StatusCode", "Value", "urn:oasis:names:tc:SAML:2.0:status:Responder")
		}, ReasonStatusNotSuccess},
		{"InResponseToMismatch", func(r *etree.Element) {
			samltest.SetAttr(r, "SubjectConfirmationData", "InResponseTo", "_another_request")
		}, ReasonInResponseTo},
		{"EmptyNameID", func(r *etree.Element) {
			samltest.SetText(r, "NameID", " ")
		}, ReasonNameIDMissing},
		{"TwoAssertions", func(r *etree.Element) {
			a := samltest.Find(r, "Assertion")
			c := a.Copy()
			c.CreateAttr("ID", "_second")
			r.AddChild(c)
		}, ReasonAssertionCount},
		{"EncryptedAssertion", func(r *etree.Element) {
			r.CreateElement("saml:EncryptedAssertion")
		}, ReasonEncrypted},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := b.parse(b.resigned(t, bothSigned, c.edit))
			requireRejected(t, err, c.reason)
		})
	}

	t.Run("ErrorResponseWithoutAssertion", func(t *testing.T) {
		t.Parallel()
		_, err := b.parse(b.resigned(t, responseSigned, func(r *etree.Element) {
			samltest.SetAttr(r, "StatusCode", "Value", "urn:oasis:names:tc:SAML:2.0:status:Requester")
			r.RemoveChild(samltest.Find(r, "Assertion"))
		}))
		requireRejected(t, err, ReasonStatusNotSuccess)
	})
	t.Run("ResponseFromAnotherEntityWithTheSameKey", func(t *testing.T) {
		t.Parallel()
		kp := idpKey()
		md, _ := b.sp.Metadata()
		other := samltest.NewIdP(t, samltest.Options{EntityID: "https://evil-idp.example/metadata", SPMetadata: [][]byte{md}, Keys: &kp})
		post := other.RespondUnsolicited(t, testACSURL, testEntityID, alice)
		_, err := b.parse(post.SAMLResponse)
		requireRejected(t, err, ReasonWrongIssuer)
	})
	t.Run("UnsolicitedForAnotherSP", func(t *testing.T) {
		t.Parallel()
		post := b.idp.RespondUnsolicited(t, testACSURL, "https://other-sp.example/metadata", alice)
		_, err := b.parse(post.SAMLResponse)
		requireRejected(t, err, ReasonWrongAudience)
	})
	t.Run("UnsolicitedToAnotherACS", func(t *testing.T) {
		t.Parallel()
		post := b.idp.RespondUnsolicited(t, "https://other-sp.example/acs", testEntityID, alice)
		_, err := b.parse(post.SAMLResponse)
		requireRejected(t, err, ReasonWrongDestination)
	})
}

func TestXMLHygiene(t *testing.T) {
	t.Parallel()
	b := setup(t)

	t.Run("CommentInNameID", func(t *testing.T) {
		t.Parallel()
		u := alice
		u.NameID = "admin@corp.example.evil.test"
		_, post := b.login(t, u)
		attack := samltest.InjectNameIDComment(t, post.SAMLResponse, "admin@corp.example")
		if !strings.Contains(decoded(t, attack), "admin@corp.example<!---->.evil.test") {
			t.Fatal("the comment was not injected")
		}
		_, err := b.parse(attack)
		requireRejected(t, err, ReasonNameIDComment)
	})
	t.Run("CommentInAttributeValue", func(t *testing.T) {
		t.Parallel()
		_, post := b.login(t, alice)
		_, err := b.parse(samltest.Edit(t, post.SAMLResponse, func(r *etree.Element) {
			v := samltest.Find(r, "AttributeValue")
			text := v.Text()
			v.SetText(text[:3])
			v.CreateComment("")
			v.CreateText(text[3:])
		}))
		requireRejected(t, err, ReasonAttributeComment)
	})
	t.Run("DoctypeWithEntities", func(t *testing.T) {
		t.Parallel()
		_, post := b.login(t, alice)
		_, err := b.parse(samltest.WithDoctype(t, post.SAMLResponse, "admin-0001"))
		requireRejected(t, err, ReasonDoctypeRefused)
	})
	t.Run("LowercaseDoctype", func(t *testing.T) {
		t.Parallel()
		raw := `<!doctype x><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`
		_, err := b.parse(base64.StdEncoding.EncodeToString([]byte(raw)))
		requireRejected(t, err, ReasonDoctypeRefused)
	})
	t.Run("OversizedBody", func(t *testing.T) {
		t.Parallel()
		_, err := b.parse(strings.Repeat("A", DefaultMaxResponseBytes+4))
		requireRejected(t, err, ReasonTooLarge)
	})
	t.Run("OversizedGenuineResponse", func(t *testing.T) {
		t.Parallel()
		_, post := b.login(t, alice)
		small, err := New(Config{EntityID: testEntityID, ACSURL: testACSURL, Key: spKeys().Key, Cert: spKeys().Cert, MaxResponseBytes: len(post.SAMLResponse) - 1})
		if err != nil {
			t.Fatal(err)
		}
		_, err = small.ParseResponse(b.provider, post.SAMLResponse, time.Now())
		requireRejected(t, err, ReasonTooLarge)
	})
	t.Run("TooManyTokens", func(t *testing.T) {
		t.Parallel()
		raw := `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">` + strings.Repeat("<a/>", maxXMLTokens/3+1) + `</samlp:Response>`
		_, err := b.parse(base64.StdEncoding.EncodeToString([]byte(raw)))
		requireRejected(t, err, ReasonTooLarge)
	})
	t.Run("GarbageBase64", func(t *testing.T) {
		t.Parallel()
		_, err := b.parse("%%% not base64 %%%")
		requireRejected(t, err, ReasonMalformed)
	})
	t.Run("EmptyValue", func(t *testing.T) {
		t.Parallel()
		_, err := b.parse("")
		requireRejected(t, err, ReasonMalformed)
	})
	t.Run("NotXML", func(t *testing.T) {
		t.Parallel()
		_, err := b.parse(base64.StdEncoding.EncodeToString([]byte("{\"json\": true}")))
		requireRejected(t, err, ReasonMalformed)
	})
	t.Run("NotAResponse", func(t *testing.T) {
		t.Parallel()
		raw := `<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`
		_, err := b.parse(base64.StdEncoding.EncodeToString([]byte(raw)))
		requireRejected(t, err, ReasonMalformed)
	})
	t.Run("DuplicateAttribute", func(t *testing.T) {
		t.Parallel()
		_, post := b.login(t, alice)
		s := strings.Replace(decoded(t, post.SAMLResponse), `Version="2.0"`, `Version="2.0" Version="2.0"`, 1)
		_, err := b.parse(base64.StdEncoding.EncodeToString([]byte(s)))
		requireRejected(t, err, ReasonMalformed)
	})
}

// decoded is the XML text of a base64 form value.
func decoded(t *testing.T, samlResponse string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(samlResponse)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
