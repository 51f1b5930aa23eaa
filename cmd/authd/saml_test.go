package main

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"authd/adapters/saml/samltest"
)

func TestSAMLConfig(t *testing.T) {
	t.Parallel()
	kp := samltest.NewKeyPair(t, "sp")
	der, err := x509.MarshalPKCS8PrivateKey(kp.Key)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	keyFile := filepath.Join(t.TempDir(), "sp.key")
	if err := os.WriteFile(keyFile, []byte(keyPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	other := samltest.NewKeyPair(t, "other")
	load := func(env map[string]string) (config, error) {
		return loadConfig(func(k string) string { return env[k] })
	}

	t.Run("PEMTextFileOrFlattenedPEM", func(t *testing.T) {
		t.Parallel()
		flat := strings.ReplaceAll(kp.CertificatePEM(), "\n", `\n`)
		for name, key := range map[string]string{"Text": keyPEM, "File": keyFile} {
			c, err := load(map[string]string{"AUTHD_SAML_SP_KEY": key, "AUTHD_SAML_SP_CERT": flat})
			if err != nil || !strings.Contains(string(c.SAMLKeyPEM), "PRIVATE KEY") || !strings.Contains(string(c.SAMLCertPEM), "\n") {
				t.Fatalf("%s: %v", name, err)
			}
		}
	})
	t.Run("BadSettingsAreConfigErrors", func(t *testing.T) {
		t.Parallel()
		for name, env := range map[string]map[string]string{
			"KeyWithoutCert":  {"AUTHD_SAML_SP_KEY": keyPEM},
			"CertWithoutKey":  {"AUTHD_SAML_SP_CERT": kp.CertificatePEM()},
			"MismatchedPair":  {"AUTHD_SAML_SP_KEY": keyPEM, "AUTHD_SAML_SP_CERT": other.CertificatePEM()},
			"MissingFile":     {"AUTHD_SAML_SP_KEY": "/nonexistent/sp.key", "AUTHD_SAML_SP_CERT": kp.CertificatePEM()},
			"OriginWithPath":  {"AUTHD_ALLOWED_RETURN_ORIGINS": "https://app.example/path"},
			"OriginNotAURL":   {"AUTHD_ALLOWED_RETURN_ORIGINS": "app.example"},
			"OriginFTPScheme": {"AUTHD_ALLOWED_RETURN_ORIGINS": "ftp://app.example"},
		} {
			var ce *configError
			if _, err := load(env); !errors.As(err, &ce) {
				t.Errorf("%s: %v, want a config error", name, err)
			}
		}
	})
	t.Run("ListsAreSplitAndOriginsNormalized", func(t *testing.T) {
		t.Parallel()
		c, err := load(map[string]string{"AUTHD_ALLOWED_RETURN_ORIGINS": " https://App.Example , http://localhost:3000/,",
			"AUTHD_SAML_EMAIL_ATTRIBUTE": "email, mail"})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(c.AllowedReturnOrigins, []string{"https://app.example", "http://localhost:3000"}) ||
			!slices.Equal(c.SAMLEmailAttributes, []string{"email", "mail"}) || c.SAMLKeyPEM != nil {
			t.Fatalf("config %v %v %v", c.AllowedReturnOrigins, c.SAMLEmailAttributes, c.SAMLKeyPEM)
		}
	})
}
