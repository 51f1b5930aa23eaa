package saml

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// keyBits is the size of generated SP keys; 2048 is what IdPs universally accept.
const keyBits = 2048

// certLifetime is how long a generated SP certificate is valid. IdPs pin the
// certificate from our metadata, so a rotation is a coordinated event and a
// short lifetime would only force needless ones.
const certLifetime = 10 * 365 * 24 * time.Hour

// GenerateKeyPair creates an RSA key and a self-signed signing certificate for
// the SP, for a first start without AUTHD_SAML_SP_KEY and AUTHD_SAML_SP_CERT.
func GenerateKeyPair(commonName string, now time.Time) (*rsa.PrivateKey, *x509.Certificate, error) {
	key, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return nil, nil, fmt.Errorf("saml: generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("saml: certificate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("saml: create certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("saml: parse certificate: %w", err)
	}
	return key, cert, nil
}

// EncodeKeyPair returns key as a PKCS #8 "PRIVATE KEY" PEM block and cert as a
// "CERTIFICATE" PEM block, the forms ParseKeyPair reads.
func EncodeKeyPair(key *rsa.PrivateKey, cert *x509.Certificate) (keyPEM, certPEM []byte, err error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("saml: encode key: %w", err)
	}
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	return keyPEM, certPEM, nil
}

// ParseKeyPair reads an RSA private key (PKCS #8 or PKCS #1 PEM) and its
// certificate (PEM), and checks that they belong together.
func ParseKeyPair(keyPEM, certPEM []byte) (*rsa.PrivateKey, *x509.Certificate, error) {
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return nil, nil, errors.New("saml: SP key: no PEM block")
	}
	var key *rsa.PrivateKey
	switch kb.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
		if err != nil {
			return nil, nil, fmt.Errorf("saml: SP key: %w", err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, nil, fmt.Errorf("saml: SP key: %T is not an RSA key", k)
		}
		key = rk
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(kb.Bytes)
		if err != nil {
			return nil, nil, fmt.Errorf("saml: SP key: %w", err)
		}
		key = k
	default:
		return nil, nil, fmt.Errorf("saml: SP key: unexpected PEM block %q", kb.Type)
	}
	cert, err := parseCertificatePEM(certPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("saml: SP certificate: %w", err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, nil, errors.New("saml: SP certificate does not match the SP key")
	}
	return key, cert, nil
}

// parseCertificatePEM reads the first CERTIFICATE block of b.
func parseCertificatePEM(b []byte) (*x509.Certificate, error) {
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return nil, errors.New("no CERTIFICATE PEM block")
		}
		if block.Type == "CERTIFICATE" {
			return x509.ParseCertificate(block.Bytes)
		}
	}
}

// certificatePEM encodes a DER certificate as PEM text.
func certificatePEM(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
