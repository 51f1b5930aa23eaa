package clientip

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// ParseTrusted parses a comma-separated list of trusted proxies, each a CIDR
// prefix ("10.0.0.0/8") or a bare address ("192.0.2.7", meaning /32 or /128),
// with spaces around entries allowed. An empty or blank s means no proxies.
// Host bits in a prefix are ignored, and IPv4-mapped IPv6 entries are read as
// the IPv4 they map, as peers are. An empty entry is an error, not skipped:
// this list decides who may name the client, so a typo must not pass silently.
func ParseTrusted(s string) ([]netip.Prefix, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	entries := strings.Split(s, ",")
	prefixes := make([]netip.Prefix, 0, len(entries))
	for i, entry := range entries {
		entry = strings.TrimSpace(entry)
		p, err := parseEntry(entry)
		if err != nil {
			return nil, fmt.Errorf("clientip: trusted proxy %d %q: %w", i+1, entry, err)
		}
		prefixes = append(prefixes, p)
	}
	return prefixes, nil
}

func parseEntry(entry string) (netip.Prefix, error) {
	if entry == "" {
		return netip.Prefix{}, errors.New("empty entry")
	}
	if !strings.Contains(entry, "/") {
		addr, err := netip.ParseAddr(entry)
		if err != nil {
			return netip.Prefix{}, err
		}
		if addr.Zone() != "" {
			return netip.Prefix{}, errors.New("zoned addresses cannot be matched")
		}
		return normalize(netip.PrefixFrom(addr, addr.BitLen())), nil
	}
	p, err := netip.ParsePrefix(entry)
	if err != nil {
		return netip.Prefix{}, err
	}
	return normalize(p), nil
}

// normalize masks host bits and rewrites IPv4-mapped prefixes as IPv4,
// because peers are unmapped before they are matched.
func normalize(p netip.Prefix) netip.Prefix {
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked()
}
