package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"authd/adapters/saml/samltest"
)

func TestSAMLRejections(t *testing.T) {
	t.Parallel()
	e := startSSO(t, ssoOptions{})
	evil := samltest.NewKeyPair(t, "attacker")
	both := samltest.Signing{Response: true, Assertion: true}
	// Users, sessions and identities before any attack; every subtest
	// checks them after its own.
	before := e.rows(t)

	type attack func(t *testing.T, b *browser) string
	// fresh is a genuine response to b's own pending login.
	fresh := func(t *testing.T, b *browser, u samltest.User) string {
		return e.login(t, b, u).SAMLResponse
	}
	cases := []struct {
		name, reason string
		attack       attack
	}{
		{"UnsignedResponse", "signature_missing", func(t *testing.T, b *browser) string {
			return samltest.StripSignatures(t, fresh(t, b, alice))
		}},
		{"SignedByAnUnknownKey", "signature_invalid", func(t *testing.T, b *browser) string {
			return e.idp.Resign(t, fresh(t, b, alice), samltest.Signing{Response: true, Assertion: true, Keys: &evil}, nil)
		}},
		{"AssertionChangedAfterSigning", "signature_invalid", func(t *testing.T, b *browser) string {
			return samltest.Edit(t, fresh(t, b, alice), func(r *etree.Element) { samltest.SetText(r, "NameID", "admin-0001") })
		}},
		{"InResponseToOfAnotherBrowsersRequest", "request_of_another_browser", func(t *testing.T, b *browser) string {
			victim := e.browserFor(t, "victim")
			e.startLogin(t, b, "domain=corp.example") // the attacker's own binding
			return fresh(t, victim, alice)
		}},
		{"Unsolicited", "unsolicited", func(t *testing.T, b *browser) string {
			return e.idp.RespondUnsolicited(t, e.acsURL, e.entityID, alice).SAMLResponse
		}},
		{"WrongAudience", "wrong_audience", func(t *testing.T, b *browser) string {
			return e.idp.Resign(t, fresh(t, b, alice), both, func(r *etree.Element) {
				samltest.SetText(r, "Audience", "https://other-sp.example/metadata")
			})
		}},
		{"WrongIssuer", "wrong_issuer", func(t *testing.T, b *browser) string {
			return e.idp.Resign(t, fresh(t, b, alice), both, func(r *etree.Element) {
				for _, iss := range samltest.FindAll(r, "Issuer") {
					iss.SetText("https://evil-idp.example/metadata")
				}
			})
		}},
		{"WrongAssertionIssuer", "wrong_issuer", func(t *testing.T, b *browser) string {
			return e.idp.Resign(t, fresh(t, b, alice), both, func(r *etree.Element) {
				samltest.SetText(samltest.Find(r, "Assertion"), "Issuer", "https://evil-idp.example/metadata")
			})
		}},
		{"WrongDestination", "wrong_destination", func(t *testing.T, b *browser) string {
			return e.idp.Resign(t, fresh(t, b, alice), both, func(r *etree.Element) {
				r.CreateAttr("Destination", "https://evil.example/acs")
			})
		}},
		{"WrongRecipient", "wrong_recipient", func(t *testing.T, b *browser) string {
			return e.idp.Resign(t, fresh(t, b, alice), both, func(r *etree.Element) {
				samltest.SetAttr(r, "SubjectConfirmationData", "Recipient", "https://evil.example/acs")
			})
		}},
		{"SHA1Signature", "sha1_refused", func(t *testing.T, b *browser) string {
			return e.idp.Resign(t, fresh(t, b, alice), samltest.Signing{Response: true, Assertion: true, Method: samltest.RSASHA1}, nil)
		}},
		{"EmailOutsideTheProvidersDomain", "email_outside_domain", func(t *testing.T, b *browser) string {
			return fresh(t, b, samltest.User{NameID: "mallory-1", Email: "mallory@evil.example"})
		}},
		{"CommentInjectedIntoTheNameID", "nameid_comment", func(t *testing.T, b *browser) string {
			u := samltest.User{NameID: "admin@corp.example.evil.test", Email: "admin@corp.example"}
			return samltest.InjectNameIDComment(t, fresh(t, b, u), "admin@corp.example")
		}},
		{"DoctypeWithEntities", "doctype_refused", func(t *testing.T, b *browser) string {
			return samltest.WithDoctype(t, fresh(t, b, alice), "admin-0001")
		}},
		{"OversizedResponse", "too_large", func(t *testing.T, b *browser) string {
			fresh(t, b, alice)
			return strings.Repeat("A", 300<<10)
		}},
		{"OversizedBody", "too_large", func(t *testing.T, b *browser) string {
			fresh(t, b, alice)
			return strings.Repeat("A", 700<<10)
		}},
	}
	for n := 1; n <= 8; n++ {
		cases = append(cases, struct {
			name, reason string
			attack       attack
		}{samltest.XSWName(n), "", func(t *testing.T, b *browser) string {
			// Re-signed by the IdP's own key so that both the Response
			// (XSW1–2) and the Assertion (XSW3–8) carry a signature to wrap.
			signed := e.idp.Resign(t, fresh(t, b, alice), both, nil)
			return samltest.XSW(t, signed, n, samltest.EvilNameID("admin-0001"))
		}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := e.browserFor(t, "Mozilla/5.0 "+c.name)
			resp := e.postACS(t, b, c.attack(t, b), "")
			if c.reason == "" { // XSW: refused by the signature layer
				doc := resp.want(t, http.StatusForbidden, "saml_rejected").json(t)
				if r := doc["reason"]; r != "signature_invalid" && r != "signature_missing" {
					t.Fatalf("reason = %v, want a signature refusal", r)
				}
			} else {
				wantRejected(t, resp, c.reason)
			}
			if c := setCookie(t, resp, "authd_saml"); c.MaxAge >= 0 {
				t.Fatal("the binding cookie survived a rejection")
			}
			// No subtest here ever signs anyone in, so the counts hold
			// whichever of them run meanwhile.
			if after := e.rows(t); after != before {
				t.Fatalf("the rejection created rows: %+v → %+v", before, after)
			}
		})
	}
}

func TestSAMLTimeWindows(t *testing.T) {
	t.Parallel()
	clock := newShiftedClock()
	// authd's clock moves; the IdP's does not.
	e := startSSO(t, ssoOptions{authdClock: clock})
	before := e.rows(t)
	for _, c := range []struct {
		name   string
		shift  time.Duration
		reason string
	}{
		// crewjam's assertions are valid for 90 s; with 2 min of skew the
		// SP accepts them until 3.5 min after issue, then never.
		{"ExpiredAssertion", 4 * time.Minute, "expired"},
		{"AssertionNotYetValid", -3 * time.Minute, "not_yet_valid"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := e.browserFor(t, "Mozilla/5.0")
			post := e.login(t, b, alice)
			clock.set(c.shift)
			defer clock.set(0)
			wantRejected(t, e.postACS(t, b, post.SAMLResponse, ""), c.reason)
		})
	}
	t.Run("WithinTheSkewIsAccepted", func(t *testing.T) {
		b := e.browserFor(t, "Mozilla/5.0")
		post := e.login(t, b, alice)
		clock.set(3 * time.Minute)
		defer clock.set(0)
		e.postACS(t, b, post.SAMLResponse, "").want(t, http.StatusSeeOther)
	})
	if after := e.rows(t); after.users != before.users+1 {
		t.Fatalf("rows %+v → %+v; want only the accepted login's user", before, after)
	}
}
