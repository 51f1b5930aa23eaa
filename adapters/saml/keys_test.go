package saml

import (
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"
)

func TestKeyPairPEM(t *testing.T) {
	t.Parallel()
	kp := spKeys()

	t.Run("RoundTrips", func(t *testing.T) {
		t.Parallel()
		keyPEM, certPEM, err := EncodeKeyPair(kp.Key, kp.Cert)
		if err != nil {
			t.Fatal(err)
		}
		key, cert, err := ParseKeyPair(keyPEM, certPEM)
		if err != nil {
			t.Fatal(err)
		}
		if !key.Equal(kp.Key) || !cert.Equal(kp.Cert) {
			t.Fatal("the pair changed on the way")
		}
	})
	t.Run("AcceptsPKCS1", func(t *testing.T) {
		t.Parallel()
		keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(kp.Key)})
		_, certPEM, _ := EncodeKeyPair(kp.Key, kp.Cert)
		if _, _, err := ParseKeyPair(keyPEM, certPEM); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("RefusesAMismatchedPair", func(t *testing.T) {
		t.Parallel()
		keyPEM, _, _ := EncodeKeyPair(kp.Key, kp.Cert)
		other := idpKey()
		_, otherCert, _ := EncodeKeyPair(other.Key, other.Cert)
		if _, _, err := ParseKeyPair(keyPEM, otherCert); err == nil {
			t.Fatal("a certificate for another key was accepted")
		}
	})
	t.Run("RefusesGarbage", func(t *testing.T) {
		t.Parallel()
		if _, _, err := ParseKeyPair([]byte("nope"), []byte("nope")); err == nil {
			t.Fatal("garbage accepted")
		}
	})
	t.Run("GeneratedCertificateIsValidNow", func(t *testing.T) {
		t.Parallel()
		now := time.Now()
		if now.Before(kp.Cert.NotBefore) || now.After(kp.Cert.NotAfter) || kp.Cert.Subject.CommonName != "authd sp" {
			t.Fatalf("certificate %s valid %v–%v", kp.Cert.Subject, kp.Cert.NotBefore, kp.Cert.NotAfter)
		}
	})
}

func TestNewChecksConfig(t *testing.T) {
	t.Parallel()
	kp, other := spKeys(), idpKey()
	good := Config{EntityID: testEntityID, ACSURL: testACSURL, Key: kp.Key, Cert: kp.Cert}
	bad := map[string]func(c *Config){
		"NoEntityID":      func(c *Config) { c.EntityID = "" },
		"RelativeACS":     func(c *Config) { c.ACSURL = "/v1/saml/acs" },
		"NoKey":           func(c *Config) { c.Key = nil },
		"NoCert":          func(c *Config) { c.Cert = nil },
		"CertForOtherKey": func(c *Config) { c.Cert = other.Cert },
	}
	for name, mutate := range bad {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := good
			mutate(&c)
			if _, err := New(c); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	t.Run("Defaults", func(t *testing.T) {
		t.Parallel()
		sp, err := New(good)
		if err != nil {
			t.Fatal(err)
		}
		if sp.cfg.MaxSkew != 2*time.Minute || sp.cfg.MaxResponseBytes != 256<<10 || sp.cfg.Now == nil {
			t.Fatalf("defaults: %+v", sp.cfg)
		}
	})
}
