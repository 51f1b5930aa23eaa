package samltest

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"io"
	"net/url"
	"testing"

	"github.com/beevik/etree"
)

// DecodeRedirect inflates the SAMLRequest of an HTTP-Redirect binding URL,
// as the IdP would, and returns its root element.
func DecodeRedirect(t testing.TB, redirectURL string) *etree.Element {
	t.Helper()
	u, err := url.Parse(redirectURL)
	if err != nil {
		t.Fatalf("samltest: redirect URL: %v", err)
	}
	deflated, err := base64.StdEncoding.DecodeString(u.Query().Get("SAMLRequest"))
	if err != nil {
		t.Fatalf("samltest: base64: %v", err)
	}
	raw, err := io.ReadAll(flate.NewReader(bytes.NewReader(deflated)))
	if err != nil {
		t.Fatalf("samltest: inflate: %v", err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatalf("samltest: parse request: %v", err)
	}
	return doc.Root()
}
