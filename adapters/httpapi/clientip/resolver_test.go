package clientip_test

import (
	"net/http"
	"net/netip"
	"testing"

	"authd/adapters/httpapi/clientip"
)

func TestClientIP(t *testing.T) {
	t.Parallel()
	const proxies = "10.0.0.0/8, 192.0.2.10, 2001:db8::/32, fe80::/10"
	tests := []struct {
		name    string
		trusted string
		remote  string
		xff     []string // header lines, in order
		want    string   // "" is the zero Addr
	}{
		{"no proxies configured ignores spoofed header", "", "203.0.113.9:5000", []string{"198.51.100.7"}, "203.0.113.9"},
		{"untrusted peer cannot choose its address", proxies, "203.0.113.9:5000", []string{"198.51.100.7"}, "203.0.113.9"},
		{"untrusted peer inside a trusted host's network is untrusted", "192.0.2.10", "192.0.2.11:5000", []string{"198.51.100.7"}, "192.0.2.11"},
		{"trusted proxy without header is the client", proxies, "10.0.0.1:443", nil, "10.0.0.1"},
		{"trusted proxy names the client", proxies, "10.0.0.1:443", []string{"198.51.100.7"}, "198.51.100.7"},
		{"chain of trusted proxies is skipped", proxies, "10.0.0.1:443", []string{"198.51.100.7, 192.0.2.10, 10.1.2.3"}, "198.51.100.7"},
		{"client-injected left-most entries are ignored", proxies, "10.0.0.1:443", []string{"1.1.1.1, 6.6.6.6, 198.51.100.7, 10.0.0.2"}, "198.51.100.7"},
		{"malformed entry stops at the last trusted hop", proxies, "10.0.0.1:443", []string{"198.51.100.7, bogus, 10.0.0.2"}, "10.0.0.2"},
		{"malformed right-most entry stops at the peer", proxies, "10.0.0.1:443", []string{"198.51.100.7, unknown"}, "10.0.0.1"},
		{"empty entry stops the walk", proxies, "10.0.0.1:443", []string{"198.51.100.7,,10.0.0.2"}, "10.0.0.2"},
		{"empty header line stops the walk", proxies, "10.0.0.1:443", []string{"198.51.100.7", ""}, "10.0.0.1"},
		{"all hops trusted gives the left-most", proxies, "10.0.0.1:443", []string{"10.0.0.3, 10.0.0.2"}, "10.0.0.3"},
		{"entry with port is read without it", proxies, "10.0.0.1:443", []string{"198.51.100.7:4711"}, "198.51.100.7"},
		{"ipv6 chain", proxies, "[2001:db8::1]:443", []string{"2a00:1450::1, 2001:db8::2"}, "2a00:1450::1"},
		{"bracketed ipv6 entry with port", proxies, "[2001:db8::1]:443", []string{"[2a00:1450::1]:4711"}, "2a00:1450::1"},
		{"ipv4-mapped peer matches ipv4 prefix", proxies, "[::ffff:10.0.0.1]:443", []string{"198.51.100.7"}, "198.51.100.7"},
		{"ipv4-mapped untrusted peer is unmapped", "", "[::ffff:203.0.113.9]:5000", nil, "203.0.113.9"},
		{"ipv4-mapped entry is unmapped", proxies, "10.0.0.1:443", []string{"::ffff:198.51.100.7"}, "198.51.100.7"},
		{"zoned link-local peer is trusted", proxies, "[fe80::1%eth0]:443", []string{"198.51.100.7"}, "198.51.100.7"},
		{"header lines read as one list", proxies, "10.0.0.1:443", []string{"6.6.6.6, 198.51.100.7", "10.0.0.5"}, "198.51.100.7"},
		{"later header line is nearer", proxies, "10.0.0.1:443", []string{"198.51.100.7", "203.0.113.50, 10.0.0.5"}, "203.0.113.50"},
		{"remote address without port", proxies, "203.0.113.9", nil, "203.0.113.9"},
		{"unparseable remote address gives zero", proxies, "not an address", []string{"198.51.100.7"}, ""},
		{"empty remote address gives zero", proxies, "", []string{"198.51.100.7"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			trusted, err := clientip.ParseTrusted(tc.trusted)
			if err != nil {
				t.Fatalf("ParseTrusted(%q): %v", tc.trusted, err)
			}
			req := &http.Request{RemoteAddr: tc.remote, Header: http.Header{}}
			for _, line := range tc.xff {
				req.Header.Add("X-Forwarded-For", line)
			}
			var want netip.Addr
			if tc.want != "" {
				want = netip.MustParseAddr(tc.want)
			}
			if got := clientip.New(trusted).ClientIP(req); got != want {
				t.Fatalf("ClientIP = %v, want %v", got, want)
			}
		})
	}
}

func TestNewCopiesTrusted(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	r := clientip.New(trusted)
	trusted[0] = netip.MustParsePrefix("0.0.0.0/0")
	req := &http.Request{RemoteAddr: "203.0.113.9:5000", Header: http.Header{"X-Forwarded-For": {"198.51.100.7"}}}
	if got, want := r.ClientIP(req), netip.MustParseAddr("203.0.113.9"); got != want {
		t.Fatalf("ClientIP = %v, want %v", got, want)
	}
}

func BenchmarkClientIP(b *testing.B) {
	trusted, err := clientip.ParseTrusted("10.0.0.0/8, 192.0.2.10, 2001:db8::/32")
	if err != nil {
		b.Fatal(err)
	}
	r := clientip.New(trusted)
	req := &http.Request{
		RemoteAddr: "10.0.0.1:443",
		Header:     http.Header{"X-Forwarded-For": {"6.6.6.6, 198.51.100.7, 192.0.2.10", "10.1.2.3"}},
	}
	b.ReportAllocs()
	for b.Loop() {
		r.ClientIP(req)
	}
}
