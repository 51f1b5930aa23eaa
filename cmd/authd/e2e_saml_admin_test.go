package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"authd/adapters/postgres/pgtest"
	"authd/adapters/saml/samltest"
)

func TestSAMLAdminAPI(t *testing.T) {
	t.Parallel()
	e := startSSO(t, ssoOptions{})
	idp2 := samltest.NewIdP(t, samltest.Options{EntityID: "https://idp2.example.test/metadata"})

	t.Run("OffWithoutAToken", func(t *testing.T) {
		off := startAuthd(t, nil)
		b := off.browser("curl/8")
		b.t = t
		b.headers["Authorization"] = "Bearer " + samlAdminToken
		b.do("GET", "/v1/admin/saml/providers", nil).want(t, http.StatusNotFound, "not_found")
	})
	t.Run("WrongTokenIsUnauthenticated", func(t *testing.T) {
		b := e.browserFor(t, "curl/8")
		b.do("GET", "/v1/admin/saml/providers", nil).want(t, http.StatusUnauthorized, "unauthenticated")
		b.headers["Authorization"] = "Bearer " + samlAdminToken + "x"
		b.do("GET", "/v1/admin/saml/providers", nil).want(t, http.StatusUnauthorized, "unauthenticated")
		b.do("DELETE", "/v1/admin/saml/providers/"+e.provider, nil).want(t, http.StatusUnauthorized, "unauthenticated")
	})
	t.Run("ExplicitRegistrationAndItsLifecycle", func(t *testing.T) {
		a := e.admin
		a.t = t
		body := map[string]any{"domain": "Second.Example", "entity_id": idp2.EntityID(), "sso_url": idp2.SSOURL(),
			"certificate_pem": idp2.CertificatePEM(), "allow_idp_initiated": true}
		p := a.do("POST", "/v1/admin/saml/providers", body).want(t, http.StatusCreated).json(t)
		if p["domain"] != "second.example" || p["allow_idp_initiated"] != true || p["enforce_sso"] != false {
			t.Fatalf("created %v", p)
		}
		certs := p["certificates"].([]any)
		if len(certs) != 1 || len(certs[0].(map[string]any)["sha256_fingerprint"].(string)) != 64 {
			t.Fatalf("certificates %v", certs)
		}
		id := p["id"].(string)
		a.do("POST", "/v1/admin/saml/providers", body).want(t, http.StatusConflict, "domain_taken")
		list := a.do("GET", "/v1/admin/saml/providers", nil).want(t, http.StatusOK).json(t)["providers"].([]any)
		if len(list) != 2 || list[0].(map[string]any)["domain"] != "corp.example" || list[1].(map[string]any)["id"] != id {
			t.Fatalf("list %v", list)
		}
		a.do("PATCH", "/v1/admin/saml/providers/"+id, map[string]any{"domain": "third.example"}).
			want(t, http.StatusBadRequest, "invalid_request")
		changed := a.do("PATCH", "/v1/admin/saml/providers/"+id, map[string]any{"enforce_sso": true}).want(t, http.StatusOK).json(t)
		if changed["enforce_sso"] != true || changed["allow_idp_initiated"] != true {
			t.Fatalf("patched %v", changed)
		}
		a.do("GET", "/v1/admin/saml/providers/"+id, nil).want(t, http.StatusOK)
		a.do("DELETE", "/v1/admin/saml/providers/"+id, nil).want(t, http.StatusNoContent)
		a.do("GET", "/v1/admin/saml/providers/"+id, nil).want(t, http.StatusNotFound, "not_found")
		a.do("DELETE", "/v1/admin/saml/providers/"+id, nil).want(t, http.StatusNotFound, "not_found")
		a.do("GET", "/v1/admin/saml/providers/not-a-uuid", nil).want(t, http.StatusNotFound, "not_found")
	})
	t.Run("BadRegistrationsAreRefused", func(t *testing.T) {
		a := e.browserFor(t, "curl/8")
		a.headers["Authorization"] = "Bearer " + samlAdminToken
		for name, body := range map[string]map[string]any{
			"DomainWithScheme": {"domain": "https://x.example", "metadata_xml": string(idp2.MetadataXML())},
			"NoIdP":            {"domain": "x.example"},
			"PlainHTTPIdP":     {"domain": "x.example", "entity_id": "e", "sso_url": "http://idp.example/sso", "certificate_pem": idp2.CertificatePEM()},
			"NotACertificate":  {"domain": "x.example", "entity_id": "e", "sso_url": idp2.SSOURL(), "certificate_pem": "hello"},
			"BadMetadata":      {"domain": "x.example", "metadata_xml": "<EntityDescriptor/>"},
		} {
			if r := a.do("POST", "/v1/admin/saml/providers", body); r.StatusCode != http.StatusBadRequest {
				t.Errorf("%s: %d %s", name, r.StatusCode, r.body)
			}
		}
	})
}

func TestSAMLCommand(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	idp := samltest.NewIdP(t, samltest.Options{})
	file := filepath.Join(t.TempDir(), "idp.xml")
	if err := os.WriteFile(file, idp.MetadataXML(), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DATABASE_URL": db.URL}
	cli := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append([]string{"saml"}, args...), func(k string) string { return env[k] }, &out, &errOut)
		return out.String() + errOut.String(), err
	}
	out, err := cli("add", "--domain", "cli.example", "--metadata", file, "--enforce-sso")
	if err != nil || !strings.Contains(out, "added SAML provider") || !strings.Contains(out, "for cli.example") {
		t.Fatalf("saml add: %v\n%s", err, out)
	}
	if _, err := cli("add", "--domain", "cli.example", "--metadata", file); err == nil || !strings.Contains(err.Error(), "domain_taken") {
		t.Fatalf("second saml add: %v", err)
	}
	out, err = cli("list")
	if err != nil || !strings.Contains(out, "cli.example") || !strings.Contains(out, idp.EntityID()) || !strings.Contains(out, "true") {
		t.Fatalf("saml list: %v\n%s", err, out)
	}
	// What the CLI registered is what the API serves.
	in := startAuthdOn(t, db, map[string]string{"AUTHD_ADMIN_TOKEN": samlAdminToken})
	a := in.browser("curl/8")
	a.headers["Authorization"] = "Bearer " + samlAdminToken
	list := a.do("GET", "/v1/admin/saml/providers", nil).want(t, http.StatusOK).json(t)["providers"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["enforce_sso"] != true {
		t.Fatalf("the API lists %v", list)
	}
	if out, err = cli("remove", "cli.example"); err != nil || !strings.Contains(out, "removed SAML provider") {
		t.Fatalf("saml remove: %v\n%s", err, out)
	}
	if out, _ = cli("list"); strings.Contains(out, "cli.example") {
		t.Fatalf("listed after removal:\n%s", out)
	}
	if _, err := cli("remove", "cli.example"); err == nil {
		t.Fatal("removing an unknown domain succeeded")
	}
	if _, err := cli("frobnicate"); err == nil {
		t.Fatal("an unknown subcommand succeeded")
	}
}
