package throttle

import (
	"context"
	"fmt"
	"net/netip"

	"authd/core/auth"
)

// Allow counts one request of the kind name from ip, and refuses it with
// auth.RateLimited, carrying the time left in the window, once the client's
// limit for the window is spent. A kind without a limit, or a request whose
// address is unknown, is let through: a shared bucket for unknown addresses
// would let one client throttle everyone behind it.
func (s *Service) Allow(ctx context.Context, name string, ip netip.Addr) error {
	r, ok := s.cfg.Limits[name]
	if !ok || r.N <= 0 || !ip.IsValid() {
		return nil
	}
	now := s.d.Clock.Now().UTC()
	start := now.Truncate(r.Per)
	n, err := s.d.Store.CountRequest(ctx, name+" "+clientKey(ip), start)
	if err != nil {
		return fmt.Errorf("throttle: count request: %w", err)
	}
	if n > r.N {
		return auth.RateLimited(start.Add(r.Per).Sub(now))
	}
	return nil
}

// clientKey names the client an address belongs to: the IPv4 address, or
// the /64 of an IPv6 one, since a single host is routinely given a whole /64
// and could otherwise take a fresh address for every request.
func clientKey(ip netip.Addr) string {
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String()
	}
	return netip.PrefixFrom(ip.WithZone(""), 64).Masked().String()
}
