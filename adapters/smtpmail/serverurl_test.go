package smtpmail

import (
	"cmp"
	"strings"
	"testing"
)

func TestNewSMTPURL(t *testing.T) {
	t.Parallel()
	r, err := NewRenderer("")
	if err != nil {
		t.Fatalf("NewRenderer: %v", err)
	}

	good := []struct {
		name string
		url  string
		want server
	}{
		{"smtp defaults to port 587 and opportunistic STARTTLS without auth",
			"smtp://mail.example.com", server{host: "mail.example.com", port: 587}},
		{"smtp takes credentials and a port",
			"smtp://ada:s3cret@mail.example.com:2525", server{host: "mail.example.com", port: 2525, user: "ada", password: "s3cret"}},
		{"smtp decodes escaped credentials",
			"smtp://ada%40example.com:p%40ss%2Fw@mail.example.com", server{host: "mail.example.com", port: 587, user: "ada@example.com", password: "p@ss/w"}},
		{"smtp requires STARTTLS on request",
			"smtp://mail.example.com?starttls=required", server{host: "mail.example.com", port: 587, requireSTARTTLS: true}},
		{"smtp accepts explicit opportunistic STARTTLS",
			"smtp://mail.example.com/?starttls=opportunistic", server{host: "mail.example.com", port: 587}},
		{"smtps defaults to port 465 with implicit TLS",
			"SMTPS://u:p@mail.example.com", server{host: "mail.example.com", port: 465, implicitTLS: true, user: "u", password: "p"}},
		{"smtp accepts an IPv6 host",
			"smtp://[::1]:25", server{host: "::1", port: 25}},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := NewSMTP(tc.url, "authd <no-reply@example.com>", r)
			if err != nil {
				t.Fatalf("NewSMTP(%q): %v", tc.url, err)
			}
			if m.server != tc.want {
				t.Fatalf("NewSMTP(%q) server = %+v, want %+v", tc.url, m.server, tc.want)
			}
		})
	}

	bad := []struct {
		name, url, from, wantErr string
	}{
		{"empty URL is rejected", "", "", "no scheme"},
		{"bare host is rejected", "mail.example.com:587", "", "scheme"},
		{"other scheme is rejected", "https://mail.example.com", "", `scheme "https" is not smtp or smtps`},
		{"missing host is rejected", "smtp://", "", "no host"},
		{"missing host with credentials is rejected", "smtp://u:p@:25", "", "no host"},
		{"non-numeric port is rejected", "smtp://mail.example.com:abc", "", "invalid SMTP URL"},
		{"out of range port is rejected", "smtp://mail.example.com:70000", "", `port "70000"`},
		{"path is rejected", "smtp://mail.example.com/inbox", "", `path "/inbox"`},
		{"password without user is rejected", "smtp://:s3cret@mail.example.com", "", "no user name"},
		{"unknown parameter is rejected", "smtp://mail.example.com?startls=required", "", `parameter "startls" is unknown`},
		{"bad starttls value is rejected", "smtp://mail.example.com?starttls=always", "", `starttls="always"`},
		{"starttls on smtps is rejected", "smtps://mail.example.com?starttls=required", "", "smtp:// only"},
		{"unparsable URL is rejected without echoing the password", "smtp://u:s3cret@mail.example.com:port x", "", "invalid SMTP URL"},
		{"invalid From address is rejected", "smtp://mail.example.com", "not an address", "From address"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewSMTP(tc.url, cmp.Or(tc.from, "no-reply@example.com"), r)
			if err == nil {
				t.Fatalf("NewSMTP(%q) succeeded", tc.url)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("NewSMTP(%q) error = %q, want it to contain %q", tc.url, err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("NewSMTP(%q) error leaks the password: %q", tc.url, err)
			}
		})
	}
}
