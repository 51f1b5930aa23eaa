package sso_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/core/sso"
)

func TestProviders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ptr := func(s string) *string { return &s }
	yes := true

	t.Run("RegisteredFromMetadataWithEveryCertificate", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		p, err := b.svc.CreateProvider(ctx, sso.ProviderInput{Domain: " Meta.Example ", MetadataXML: goodMetadata})
		if err != nil {
			t.Fatal(err)
		}
		if p.Domain != "meta.example" || p.EntityID != "https://idp.metadata.example/entity" ||
			p.SSOURL != "https://idp.metadata.example/sso" || !slices.Equal(p.Certificates, []string{certA, certB}) ||
			p.EnforceSSO || p.AllowIdPInitiated || !p.CreatedAt.Equal(start) {
			t.Fatalf("provider = %+v", p)
		}
		got, err := b.svc.Provider(ctx, p.ID)
		if err != nil || got.EntityID != p.EntityID {
			t.Fatalf("Provider = %+v, %v", got, err)
		}
	})
	t.Run("RegisteredFromExplicitFieldsWithSeveralCertificates", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		p, err := b.svc.CreateProvider(ctx, sso.ProviderInput{Domain: "explicit.example", EntityID: "urn:example:idp",
			SSOURL: "http://127.0.0.1:9999/sso", CertificatePEM: certB + "\n" + certC + certB, EnforceSSO: true})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(p.Certificates, []string{certB, certC}) || !p.EnforceSSO || p.EntityID != "urn:example:idp" {
			t.Fatalf("provider = %+v", p)
		}
	})
	t.Run("OneProviderPerDomain", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := b.svc.CreateProvider(ctx, sso.ProviderInput{Domain: "CORP.example", MetadataXML: goodMetadata})
		if !errors.Is(err, auth.ErrDomainTaken) {
			t.Fatalf("CreateProvider = %v, want domain_taken", err)
		}
	})
	t.Run("BadInputIsRefused", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		key := "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----\n"
		ok := sso.ProviderInput{Domain: "new.example", EntityID: "https://idp.new.example", SSOURL: "https://idp.new.example/sso", CertificatePEM: certA}
		cases := map[string]func(in *sso.ProviderInput){
			"DomainWithScheme":         func(in *sso.ProviderInput) { in.Domain = "https://new.example" },
			"DomainWithPath":           func(in *sso.ProviderInput) { in.Domain = "new.example/x" },
			"DomainWithoutDot":         func(in *sso.ProviderInput) { in.Domain = "localhost" },
			"DomainWithAt":             func(in *sso.ProviderInput) { in.Domain = "a@new.example" },
			"DomainWithBadLabel":       func(in *sso.ProviderInput) { in.Domain = "-new.example" },
			"Nothing":                  func(in *sso.ProviderInput) { in.EntityID, in.SSOURL, in.CertificatePEM = "", "", "" },
			"MissingCertificate":       func(in *sso.ProviderInput) { in.CertificatePEM = "" },
			"MissingSSOURL":            func(in *sso.ProviderInput) { in.SSOURL = "" },
			"MetadataAndFields":        func(in *sso.ProviderInput) { in.MetadataXML = goodMetadata },
			"BadMetadata":              func(in *sso.ProviderInput) { *in = sso.ProviderInput{Domain: in.Domain, MetadataXML: "<x/>"} },
			"PlainHTTPSSOURL":          func(in *sso.ProviderInput) { in.SSOURL = "http://idp.new.example/sso" },
			"JavascriptSSOURL":         func(in *sso.ProviderInput) { in.SSOURL = "javascript:alert(1)" },
			"EntityIDWithSpace":        func(in *sso.ProviderInput) { in.EntityID = "https://idp new" },
			"PrivateKeyPasted":         func(in *sso.ProviderInput) { in.CertificatePEM = certA + key },
			"GarbageCertificate":       func(in *sso.ProviderInput) { in.CertificatePEM = "not a certificate" },
			"UnparseableCertificate":   func(in *sso.ProviderInput) { in.CertificatePEM = strings.Replace(certA, "MI", "XX", 1) },
			"TextAfterTheCertificates": func(in *sso.ProviderInput) { in.CertificatePEM = certA + "trailing" },
		}
		for name, edit := range cases {
			in := ok
			edit(&in)
			if _, err := b.svc.CreateProvider(ctx, in); !errors.Is(err, auth.ErrInvalidRequest) {
				t.Errorf("%s: CreateProvider = %v, want invalid_request", name, err)
			}
		}
		list, _ := b.svc.Providers(ctx)
		if len(list) != 1 {
			t.Fatalf("%d providers after refused registrations, want corp.example alone", len(list))
		}
	})
	t.Run("UpdateChangesOnlyWhatIsGiven", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.clock.Advance(time.Hour)
		p, err := b.svc.UpdateProvider(ctx, b.corp.ID, sso.ProviderChange{EnforceSSO: &yes})
		if err != nil {
			t.Fatal(err)
		}
		if !p.EnforceSSO || p.AllowIdPInitiated || p.EntityID != b.corp.EntityID || !slices.Equal(p.Certificates, b.corp.Certificates) ||
			!p.UpdatedAt.Equal(start.Add(time.Hour)) || !p.CreatedAt.Equal(start) {
			t.Fatalf("after update = %+v", p)
		}
		// A key rollover: the new certificate beside the old.
		p, err = b.svc.UpdateProvider(ctx, b.corp.ID, sso.ProviderChange{CertificatePEM: ptr(certA + certB)})
		if err != nil || !slices.Equal(p.Certificates, []string{certA, certB}) || !p.EnforceSSO {
			t.Fatalf("rollover = %+v, %v", p, err)
		}
		p, err = b.svc.UpdateProvider(ctx, b.corp.ID, sso.ProviderChange{MetadataXML: ptr(goodMetadata)})
		if err != nil || p.EntityID != "https://idp.metadata.example/entity" || p.Domain != "corp.example" {
			t.Fatalf("from metadata = %+v, %v", p, err)
		}
		if _, err := b.svc.UpdateProvider(ctx, b.corp.ID, sso.ProviderChange{SSOURL: ptr("")}); !errors.Is(err, auth.ErrInvalidRequest) {
			t.Fatalf("empty sso_url = %v", err)
		}
		if _, err := b.svc.UpdateProvider(ctx, uuid.New(), sso.ProviderChange{EnforceSSO: &yes}); !errors.Is(err, auth.ErrNotFound) {
			t.Fatalf("unknown provider = %v", err)
		}
	})
	t.Run("DeleteTakesTheIdentitiesNotTheUsers", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		out := b.signIn(t, &browser{}, alice)
		if err := b.svc.DeleteProvider(ctx, b.corp.ID); err != nil {
			t.Fatal(err)
		}
		if has, _ := b.svc.HasSAMLIdentity(ctx, out.User.ID); has {
			t.Fatal("the identity outlived its provider")
		}
		if _, err := b.db.FindUserByID(ctx, out.User.ID); err != nil {
			t.Fatalf("the user went with the provider: %v", err)
		}
		if _, err := b.svc.StartLogin(ctx, sso.LoginStart{Email: alice.email}); !errors.Is(err, auth.ErrNoSSOProvider) {
			t.Fatalf("StartLogin = %v, want no_sso_provider", err)
		}
		if err := b.svc.DeleteProvider(ctx, b.corp.ID); !errors.Is(err, auth.ErrNotFound) {
			t.Fatalf("second delete = %v", err)
		}
	})
	t.Run("DiscoveryAndEnforcement", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		d, err := b.svc.Discover(ctx, " Someone@CORP.example")
		if err != nil || !d.SSO || d.Domain != "corp.example" || d.Enforced {
			t.Fatalf("Discover = %+v, %v", d, err)
		}
		if on, _ := b.svc.EnforcedForEmail(ctx, "someone@corp.example"); on {
			t.Fatal("enforced before enforce_sso")
		}
		if _, err := b.svc.UpdateProvider(ctx, b.corp.ID, sso.ProviderChange{EnforceSSO: &yes}); err != nil {
			t.Fatal(err)
		}
		for email, want := range map[string]bool{"someone@CORP.EXAMPLE": true, "someone@sub.corp.example": false,
			"someone@other.example": false, "not an address": false, "@corp.example": false} {
			if on, err := b.svc.EnforcedForEmail(ctx, email); err != nil || on != want {
				t.Errorf("EnforcedForEmail(%q) = %v, %v; want %v", email, on, err, want)
			}
		}
	})
}

func TestStartLogin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("ReturnToIsARelativePathOrAnAllowedOrigin", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		cases := map[string]bool{
			"":                          true,
			"/":                         true,
			"/dashboard?tab=1#top":      true,
			"https://app.example":       true,
			"https://APP.example/x?y=z": true,
			"//evil.example/":           false,
			"/\\evil.example":           false,
			"\\\\evil.example":          false,
			"https://evil.example/":     false,
			"http://app.example/":       false,
			"https://app.example.evil/": false,
			"https://app.example@evil/": false,
			"javascript:alert(1)":       false,
			"dashboard":                 false,
			"/ok\r\nSet-Cookie: x":      false,
			"/a b":                      false,
		}
		for returnTo, ok := range cases {
			_, err := b.svc.StartLogin(ctx, sso.LoginStart{Email: alice.email, ReturnTo: returnTo})
			if ok && err != nil || !ok && !errors.Is(err, auth.ErrInvalidReturnTo) {
				t.Errorf("return_to %q: %v", returnTo, err)
			}
		}
	})
	t.Run("ReturnToIsKeptOnTheServer", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		br := &browser{}
		req := b.login(t, br, alice.email, "")
		out, err := b.post(br, b.sp.respond(b.corp, b.assertion(alice, req)), "/forged-relay-state")
		if err != nil || out.ReturnTo != "/" {
			t.Fatalf("return_to %q, %v; want the stored default, not RelayState", out.ReturnTo, err)
		}
	})
	t.Run("ProviderIsFoundByEmailOrDomain", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, in := range []sso.LoginStart{{Email: "x@Corp.Example"}, {Domain: "CORP.example"}} {
			r, err := b.svc.StartLogin(ctx, in)
			if err != nil || !strings.HasPrefix(r.URL, b.corp.SSOURL+"?") {
				t.Fatalf("StartLogin(%+v) = %+v, %v", in, r, err)
			}
		}
		errs := map[string]struct {
			in   sso.LoginStart
			want error
		}{
			"UnknownDomain":   {sso.LoginStart{Domain: "other.example"}, auth.ErrNoSSOProvider},
			"MalformedDomain": {sso.LoginStart{Domain: "https://corp.example"}, auth.ErrNoSSOProvider},
			"UnknownEmail":    {sso.LoginStart{Email: "x@other.example"}, auth.ErrNoSSOProvider},
			"MalformedEmail":  {sso.LoginStart{Email: "corp.example"}, auth.ErrInvalidEmail},
			"Neither":         {sso.LoginStart{}, auth.ErrInvalidRequest},
		}
		for name, c := range errs {
			if _, err := b.svc.StartLogin(ctx, c.in); !errors.Is(err, c.want) {
				t.Errorf("%s: %v, want %v", name, err, c.want)
			}
		}
	})
	t.Run("BindingIsReusedOnlyWhenWellFormed", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		first, err := b.svc.StartLogin(ctx, sso.LoginStart{Email: alice.email})
		if err != nil || len(first.Binding) != 43 {
			t.Fatalf("binding %q, %v", first.Binding, err)
		}
		again, _ := b.svc.StartLogin(ctx, sso.LoginStart{Email: alice.email, Binding: first.Binding})
		planted, _ := b.svc.StartLogin(ctx, sso.LoginStart{Email: alice.email, Binding: "chosen-by-someone"})
		if again.Binding != first.Binding || planted.Binding == "chosen-by-someone" || planted.Binding == first.Binding {
			t.Fatalf("bindings: first %q, again %q, planted %q", first.Binding, again.Binding, planted.Binding)
		}
	})
	t.Run("TwoTabsOfOneBrowserBothFinish", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		br := &browser{}
		tab1 := b.login(t, br, alice.email, "/one")
		tab2 := b.login(t, br, alice.email, "/two")
		for req, want := range map[string]string{tab2: "/two", tab1: "/one"} {
			out, err := b.post(br, b.sp.respond(b.corp, b.assertion(alice, req)), "")
			if err != nil || out.ReturnTo != want {
				t.Fatalf("tab %s: %q, %v", want, out.ReturnTo, err)
			}
		}
	})
}
