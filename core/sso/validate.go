package sso

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"net/url"
	"strings"
	"unicode"

	"authd/core/auth"
)

// NormalizeDomain lowercases and checks an email domain: DNS labels of
// letters, digits and hyphens, at least two of them, no scheme, port, path
// or trailing dot.
func NormalizeDomain(raw string) (string, error) {
	d := strings.ToLower(strings.TrimSpace(raw))
	bad := auth.ErrInvalidRequest.WithMessage("domain must be a lowercase DNS name such as example.com, without scheme or path.")
	if d == "" || len(d) > 253 || !strings.Contains(d, ".") {
		return "", bad
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", bad
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return "", bad
			}
		}
	}
	return d, nil
}

// emailDomain returns the lowercase domain of an address with exactly one @,
// a non-empty local part and no spaces or control characters.
func emailDomain(email string) (string, bool) {
	e := strings.TrimSpace(email)
	if len(e) > 254 || strings.Count(e, "@") != 1 {
		return "", false
	}
	local, domain, _ := strings.Cut(e, "@")
	if local == "" || domain == "" {
		return "", false
	}
	for _, r := range e {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return "", false
		}
	}
	return strings.ToLower(domain), true
}

// checkSSOURL accepts an https URL, or http on a loopback host so that a
// development or test IdP on this machine works.
func checkSSOURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	bad := auth.ErrInvalidRequest.WithMessage("sso_url must be an https URL (http only on localhost).")
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return "", bad
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", bad
		}
	default:
		return "", bad
	}
	return raw, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkEntityID accepts any non-empty URI without whitespace: entity IDs are
// often URLs but may be URNs.
func checkEntityID(raw string) (string, error) {
	id := strings.TrimSpace(raw)
	if id == "" || len(id) > 1024 || strings.IndexFunc(id, unicode.IsSpace) >= 0 {
		return "", auth.ErrInvalidRequest.WithMessage("entity_id must be a non-empty URI without spaces.")
	}
	return id, nil
}

// parseCertificates reads every PEM block of text, which must all be
// parseable X.509 certificates (a pasted private key is refused, not
// ignored), and returns them re-encoded, without duplicates.
func parseCertificates(text string) ([]string, error) {
	rest := []byte(text)
	var out []string
	seen := map[string]bool{}
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, auth.ErrInvalidRequest.WithMessage("certificate_pem must hold only CERTIFICATE blocks.")
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return nil, auth.ErrInvalidRequest.WithMessage("certificate_pem holds a certificate that cannot be parsed.")
		}
		p := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: block.Bytes}))
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	if len(out) == 0 || strings.TrimSpace(string(rest)) != "" {
		return nil, auth.ErrInvalidRequest.WithMessage("certificate_pem must be one or more PEM certificates.")
	}
	return out, nil
}

// ParseOrigin checks an allowed return origin and returns it normalized:
// lowercase scheme and host, no path, query or fragment.
func ParseOrigin(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("not an origin (want scheme://host[:port])")
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// checkReturnTo accepts a relative path starting with one slash, or an
// absolute URL on an allowed origin; empty means "/". Anything a browser
// could read as another host ("//evil", "/\evil", control characters) is
// refused.
func (s *Service) checkReturnTo(raw string) (string, error) {
	if raw == "" {
		return "/", nil
	}
	if len(raw) > 2048 || strings.ContainsAny(raw, "\\") || strings.IndexFunc(raw, unicode.IsControl) >= 0 ||
		strings.IndexFunc(raw, unicode.IsSpace) >= 0 {
		return "", auth.ErrInvalidReturnTo
	}
	if strings.HasPrefix(raw, "/") {
		if strings.HasPrefix(raw, "//") {
			return "", auth.ErrInvalidReturnTo
		}
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "" || u.Host != "" {
			return "", auth.ErrInvalidReturnTo
		}
		return raw, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Host == "" {
		return "", auth.ErrInvalidReturnTo
	}
	if !s.origins[strings.ToLower(u.Scheme+"://"+u.Host)] {
		return "", auth.ErrInvalidReturnTo
	}
	return raw, nil
}
