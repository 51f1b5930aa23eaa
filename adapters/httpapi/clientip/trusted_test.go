package clientip_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"authd/adapters/httpapi/clientip"
)

func TestParseTrustedAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty means no proxies", "", nil},
		{"blank means no proxies", " \t ", nil},
		{"one prefix", "10.0.0.0/8", []string{"10.0.0.0/8"}},
		{"bare addresses become single hosts", "192.0.2.7,2001:db8::1", []string{"192.0.2.7/32", "2001:db8::1/128"}},
		{"spaces around entries", " 10.0.0.0/8 , 192.0.2.7 ,2001:db8::/32 ", []string{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"}},
		{"host bits are masked", "10.1.2.3/8", []string{"10.0.0.0/8"}},
		{"ipv4-mapped read as ipv4", "::ffff:10.0.0.0/104, ::ffff:192.0.2.7", []string{"10.0.0.0/8", "192.0.2.7/32"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := clientip.ParseTrusted(tc.in)
			if err != nil {
				t.Fatalf("ParseTrusted(%q): %v", tc.in, err)
			}
			var want []netip.Prefix
			for _, s := range tc.want {
				want = append(want, netip.MustParsePrefix(s))
			}
			if !slices.Equal(got, want) {
				t.Fatalf("ParseTrusted(%q) = %v, want %v", tc.in, got, want)
			}
		})
	}
}

func TestParseTrustedRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		wantErr string // the error must name the bad entry
	}{
		{"prefix too long", "10.0.0.0/8, 10.0.0.0/33", `trusted proxy 2 "10.0.0.0/33"`},
		{"octet out of range", "10.0.0.300", `trusted proxy 1 "10.0.0.300"`},
		{"host name", "10.0.0.0/8,proxy.internal", `trusted proxy 2 "proxy.internal"`},
		{"trailing comma", "10.0.0.0/8,", `trusted proxy 2 ""`},
		{"doubled comma", "10.0.0.0/8,,192.0.2.1", `trusted proxy 2 ""`},
		{"zoned address", "fe80::1%eth0", `trusted proxy 1 "fe80::1%eth0"`},
		{"space-separated list", "10.0.0.0/8 192.0.2.1", `trusted proxy 1 "10.0.0.0/8 192.0.2.1"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := clientip.ParseTrusted(tc.in)
			if err == nil {
				t.Fatalf("ParseTrusted(%q) = %v, want an error", tc.in, got)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("ParseTrusted(%q) error %q does not contain %q", tc.in, err, tc.wantErr)
			}
		})
	}
}
