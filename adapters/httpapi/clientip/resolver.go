package clientip

import (
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds a request's client IP behind a fixed set of trusted proxies.
// It is safe for concurrent use.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a Resolver that believes X-Forwarded-For only from peers inside
// trusted. An empty trusted means the peer address is always the client.
func New(trusted []netip.Prefix) *Resolver {
	// Copy, so that the caller changing its slice later cannot widen trust.
	r := &Resolver{trusted: make([]netip.Prefix, 0, len(trusted))}
	for _, p := range trusted {
		if p.IsValid() {
			r.trusted = append(r.trusted, normalize(p))
		}
	}
	return r
}

// ClientIP returns the address req comes from. It is the connection's peer
// unless the peer is a trusted proxy; then it is the right-most entry of
// X-Forwarded-For (all its header lines, in order) that is not itself a
// trusted proxy, or the left-most when all are. A malformed entry ends the walk at the last trusted hop, so
// an untrusted client can never choose the address returned. ClientIP returns
// the zero Addr when req.RemoteAddr is not an address.
func (r *Resolver) ClientIP(req *http.Request) netip.Addr {
	peer, ok := parseAddr(req.RemoteAddr)
	if !ok || !r.trusts(peer) {
		return peer
	}
	hop := peer
	lines := req.Header.Values("X-Forwarded-For")
	for i := len(lines) - 1; i >= 0; i-- {
		rest := lines[i]
		for {
			comma := strings.LastIndexByte(rest, ',')
			addr, ok := parseAddr(rest[comma+1:])
			if !ok {
				return hop
			}
			if !r.trusts(addr) {
				return addr
			}
			hop = addr
			if comma < 0 {
				break
			}
			rest = rest[:comma]
		}
	}
	// Every hop is a trusted proxy: the left-most is the closest to a client.
	return hop
}

func (r *Resolver) trusts(addr netip.Addr) bool {
	for _, p := range r.trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// parseAddr reads an address with or without a port, as RemoteAddr and
// X-Forwarded-For carry them. It drops IPv6 zones, which name an interface
// on the sending host, and unmaps IPv4-mapped IPv6, which dual-stack
// listeners report for IPv4 peers.
func parseAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	// Pick the parser by shape rather than trying both: a failed parse
	// allocates its error, and RemoteAddr always has a port. Only a port
	// leaves a single colon or follows a bracketed IPv6.
	var addr netip.Addr
	var err error
	if colon := strings.LastIndexByte(s, ':'); colon >= 0 && (s[0] == '[' || strings.IndexByte(s, ':') == colon) {
		var ap netip.AddrPort
		ap, err = netip.ParseAddrPort(s)
		addr = ap.Addr()
	} else {
		addr, err = netip.ParseAddr(s)
	}
	if err != nil {
		return netip.Addr{}, false
	}
	return addr.Unmap().WithZone(""), true
}
