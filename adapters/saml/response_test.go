package saml

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/beevik/etree"

	"authd/adapters/saml/samltest"
	"authd/core/auth"
)

func TestParseResponse(t *testing.T) {
	t.Parallel()
	b := setup(t)

	t.Run("SPInitiatedLoginIsAccepted", func(t *testing.T) {
		t.Parallel()
		req, post := b.login(t, alice)
		if post.URL != testACSURL || post.RelayState != "relay-1" {
			t.Fatalf("IdP posted to %q with RelayState %q", post.URL, post.RelayState)
		}
		got, err := b.parse(post.SAMLResponse)
		if err != nil {
			t.Fatalf("ParseResponse: %v", err)
		}
		if got.NameID != alice.NameID || got.NameIDFormat != samltest.PersistentNameIDFormat {
			t.Fatalf("NameID = %q (%q)", got.NameID, got.NameIDFormat)
		}
		if got.InResponseTo != req.ID {
			t.Fatalf("InResponseTo = %q; want %q", got.InResponseTo, req.ID)
		}
		if got.Issuer != b.idp.EntityID() || got.ID == "" || got.ResponseID == "" || got.ID == got.ResponseID {
			t.Fatalf("Issuer %q, ID %q, ResponseID %q", got.Issuer, got.ID, got.ResponseID)
		}
		if !slices.Equal(got.Attributes[samltest.AttrMail], []string{alice.Email}) {
			t.Fatalf("mail = %v", got.Attributes[samltest.AttrMail])
		}
		if !slices.Equal(got.Attributes["groups"], []string{"eng", "admins"}) {
			t.Fatalf("groups = %v", got.Attributes["groups"])
		}
		if d := time.Since(got.AuthnInstant); d < 0 || d > time.Minute {
			t.Fatalf("AuthnInstant = %v", got.AuthnInstant)
		}
		if d := time.Until(got.NotOnOrAfter); d <= 0 || d > 5*time.Minute {
			t.Fatalf("NotOnOrAfter = %v", got.NotOnOrAfter)
		}
	})
	t.Run("EmailNameIDFormatIsReported", func(t *testing.T) {
		t.Parallel()
		u := samltest.User{NameID: "bob@corp.example", NameIDFormat: samltest.EmailNameIDFormat}
		_, post := b.login(t, u)
		got, err := b.parse(post.SAMLResponse)
		if err != nil {
			t.Fatal(err)
		}
		if got.NameID != u.NameID || got.NameIDFormat != samltest.EmailNameIDFormat {
			t.Fatalf("NameID = %q (%q)", got.NameID, got.NameIDFormat)
		}
	})
	t.Run("IdPInitiatedHasNoInResponseTo", func(t *testing.T) {
		t.Parallel()
		post := b.idp.RespondUnsolicited(t, testACSURL, testEntityID, alice)
		got, err := b.parse(post.SAMLResponse)
		if err != nil {
			t.Fatal(err)
		}
		if got.InResponseTo != "" || got.NameID != alice.NameID {
			t.Fatalf("InResponseTo %q, NameID %q", got.InResponseTo, got.NameID)
		}
	})
	for name, mode := range map[string]samltest.Signing{"OnlyResponseSigned": responseSigned, "OnlyAssertionSigned": assertionSigned} {
		t.Run(name+"IsAccepted", func(t *testing.T) {
			t.Parallel()
			got, err := b.parse(b.resigned(t, mode, nil))
			if err != nil || got.NameID != alice.NameID {
				t.Fatalf("ParseResponse = %q, %v", got.NameID, err)
			}
		})
	}
	t.Run("ResponseInResponseToTrustedOnlyWhenResponseSigned", func(t *testing.T) {
		t.Parallel()
		req, post := b.login(t, alice)
		dropSCD := func(r *etree.Element) {
			samltest.Find(r, "SubjectConfirmationData").RemoveAttr("InResponseTo")
		}
		signed, err := b.parse(b.idp.Resign(t, post.SAMLResponse, responseSigned, dropSCD))
		if err != nil || signed.InResponseTo != req.ID {
			t.Fatalf("signed response: InResponseTo %q, %v; want %q", signed.InResponseTo, err, req.ID)
		}
		unsigned, err := b.parse(b.idp.Resign(t, post.SAMLResponse, assertionSigned, dropSCD))
		if err != nil || unsigned.InResponseTo != "" {
			t.Fatalf("unsigned response: InResponseTo %q, %v; want empty", unsigned.InResponseTo, err)
		}
	})
}

func TestParseResponseCertificateRollover(t *testing.T) {
	t.Parallel()
	b := setup(t)
	old := oldKey()
	rollover := b.provider
	rollover.Certificates = []string{old.CertificatePEM(), b.idp.CertificatePEM()}

	cases := map[string]samltest.Signing{
		"SignedByNewKey":                       bothSigned,
		"SignedByOldKey":                       {Response: true, Assertion: true, Keys: &old},
		"SignedByNewKeyNoKeyInfo":              {Response: true, Assertion: true, OmitKeyInfo: true},
		"SignedByOldKeyNoKeyInfo":              {Response: true, Assertion: true, Keys: &old, OmitKeyInfo: true},
		"AssertionOnlySignedByOldKeyNoKeyInfo": {Assertion: true, Keys: &old, OmitKeyInfo: true},
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := b.sp.ParseResponse(rollover, b.resigned(t, s, nil), time.Now())
			if err != nil || got.NameID != alice.NameID {
				t.Fatalf("ParseResponse = %q, %v", got.NameID, err)
			}
		})
	}
	t.Run("RetiredCertificateIsRefused", func(t *testing.T) {
		t.Parallel()
		retired := b.provider
		retired.Certificates = []string{old.CertificatePEM()}
		_, err := b.sp.ParseResponse(retired, b.resigned(t, bothSigned, nil), time.Now())
		requireRejected(t, err, ReasonSignatureInvalid)
	})
	t.Run("MisconfiguredProviderIsNotARejection", func(t *testing.T) {
		t.Parallel()
		_, post := b.login(t, alice)
		for _, certs := range [][]string{nil, {"not a certificate"}} {
			p := b.provider
			p.Certificates = certs
			_, err := b.sp.ParseResponse(p, post.SAMLResponse, time.Now())
			if err == nil || errors.Is(err, auth.ErrSAMLRejected) {
				t.Fatalf("certificates %q: err = %v; want a configuration error", certs, err)
			}
		}
	})
}

func TestParseResponseValidityWindows(t *testing.T) {
	t.Parallel()
	b := setup(t)
	t0 := time.Now().UTC().Truncate(time.Second)
	at := func(d time.Duration) string { return t0.Add(d).Format(time.RFC3339) }

	// Conditions and SubjectConfirmationData both valid for [t0, t0+5m).
	window := b.resigned(t, bothSigned, func(r *etree.Element) {
		samltest.SetAttr(r, "Conditions", "NotBefore", at(0))
		samltest.SetAttr(r, "Conditions", "NotOnOrAfter", at(5*time.Minute))
		samltest.SetAttr(r, "SubjectConfirmationData", "NotOnOrAfter", at(5*time.Minute))
	})
	cases := []struct {
		name   string
		now    time.Duration // after t0
		reason string        // empty: accepted
	}{
		{"InsideWindow", time.Minute, ""},
		{"ExpiredWithinSkew1m59s", 5*time.Minute + 119*time.Second, ""},
		{"ExpiredBeyondSkew2m01s", 5*time.Minute + 121*time.Second, ReasonExpired},
		{"ExpiredExactlySkew", 5*time.Minute + 2*time.Minute, ReasonExpired},
		{"EarlyWithinSkew1m59s", -119 * time.Second, ""},
		{"EarlyExactlySkew", -2 * time.Minute, ""},
		{"EarlyBeyondSkew2m01s", -121 * time.Second, ReasonNotYetValid},
		{"LongExpired", time.Hour, ReasonExpired},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := b.sp.ParseResponse(b.provider, window, t0.Add(c.now))
			if c.reason != "" {
				requireRejected(t, err, c.reason)
				return
			}
			if err != nil {
				t.Fatalf("ParseResponse: %v", err)
			}
			if !got.NotOnOrAfter.Equal(t0.Add(5 * time.Minute)) {
				t.Fatalf("NotOnOrAfter = %v", got.NotOnOrAfter)
			}
		})
	}

	t.Run("SubjectConfirmationExpiresFirst", func(t *testing.T) {
		t.Parallel()
		resp := b.resigned(t, bothSigned, func(r *etree.Element) {
			samltest.SetAttr(r, "Conditions", "NotBefore", at(0))
			samltest.SetAttr(r, "Conditions", "NotOnOrAfter", at(10*time.Minute))
			samltest.SetAttr(r, "SubjectConfirmationData", "NotOnOrAfter", at(time.Minute))
		})
		got, err := b.sp.ParseResponse(b.provider, resp, t0)
		if err != nil || !got.NotOnOrAfter.Equal(t0.Add(time.Minute)) {
			t.Fatalf("NotOnOrAfter = %v, %v; want the earlier bound", got.NotOnOrAfter, err)
		}
		_, err = b.sp.ParseResponse(b.provider, resp, t0.Add(time.Minute+121*time.Second))
		requireRejected(t, err, ReasonExpired)
	})
	t.Run("ConditionsExpireFirst", func(t *testing.T) {
		t.Parallel()
		resp := b.resigned(t, bothSigned, func(r *etree.Element) {
			samltest.SetAttr(r, "Conditions", "NotBefore", at(0))
			samltest.SetAttr(r, "Conditions", "NotOnOrAfter", at(time.Minute))
			samltest.SetAttr(r, "SubjectConfirmationData", "NotOnOrAfter", at(10*time.Minute))
		})
		_, err := b.sp.ParseResponse(b.provider, resp, t0.Add(time.Minute+121*time.Second))
		requireRejected(t, err, ReasonExpired)
	})
	t.Run("SubjectConfirmationNotYetValid", func(t *testing.T) {
		t.Parallel()
		resp := b.resigned(t, bothSigned, func(r *etree.Element) {
			samltest.SetAttr(r, "Conditions", "NotBefore", at(0))
			samltest.SetAttr(r, "Conditions", "NotOnOrAfter", at(10*time.Minute))
			samltest.SetAttr(r, "SubjectConfirmationData", "NotBefore", at(5*time.Minute))
			samltest.SetAttr(r, "SubjectConfirmationData", "NotOnOrAfter", at(10*time.Minute))
		})
		_, err := b.sp.ParseResponse(b.provider, resp, t0.Add(time.Minute))
		requireRejected(t, err, ReasonNotYetValid)
	})
	t.Run("UnparsableTime", func(t *testing.T) {
		t.Parallel()
		resp := b.resigned(t, bothSigned, func(r *etree.Element) {
			samltest.SetAttr(r, "Conditions", "NotOnOrAfter", "tomorrow")
		})
		_, err := b.parse(resp)
		requireRejected(t, err, ReasonMalformed)
	})
	t.Run("GenuineResponseParsedLate", func(t *testing.T) {
		t.Parallel()
		_, post := b.login(t, alice)
		_, err := b.sp.ParseResponse(b.provider, post.SAMLResponse, time.Now().Add(10*time.Minute))
		requireRejected(t, err, ReasonExpired)
	})
	t.Run("GenuineResponseParsedEarly", func(t *testing.T) {
		t.Parallel()
		_, post := b.login(t, alice)
		_, err := b.sp.ParseResponse(b.provider, post.SAMLResponse, time.Now().Add(-10*time.Minute))
		requireRejected(t, err, ReasonNotYetValid)
	})
}

func TestPeekIssuer(t *testing.T) {
	t.Parallel()
	b := setup(t)

	t.Run("ReadsTheResponseIssuer", func(t *testing.T) {
		t.Parallel()
		_, post := b.login(t, alice)
		got, err := b.sp.PeekIssuer(post.SAMLResponse)
		if err != nil || got != b.idp.EntityID() {
			t.Fatalf("PeekIssuer = %q, %v", got, err)
		}
	})
	t.Run("FallsBackToTheAssertionIssuer", func(t *testing.T) {
		t.Parallel()
		_, post := b.login(t, alice)
		resp := samltest.Edit(t, post.SAMLResponse, func(r *etree.Element) {
			for _, c := range r.ChildElements() {
				if c.Tag == "Issuer" {
					r.RemoveChild(c)
				}
			}
		})
		got, err := b.sp.PeekIssuer(resp)
		if err != nil || got != b.idp.EntityID() {
			t.Fatalf("PeekIssuer = %q, %v", got, err)
		}
	})
	t.Run("RefusesWhatParseResponseRefuses", func(t *testing.T) {
		t.Parallel()
		_, post := b.login(t, alice)
		_, err := b.sp.PeekIssuer(samltest.WithDoctype(t, post.SAMLResponse, "x"))
		requireRejected(t, err, ReasonDoctypeRefused)
		_, err = b.sp.PeekIssuer("!!!")
		requireRejected(t, err, ReasonMalformed)
		_, err = b.sp.PeekIssuer(string(make([]byte, DefaultMaxResponseBytes+1)))
		requireRejected(t, err, ReasonTooLarge)
	})
}
