package smtpmail_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/textproto"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"authd/adapters/smtpmail"
	"authd/adapters/smtpmail/smtptest"
	"authd/ports"
)

const from = "authd <no-reply@example.com>"

type testBundle struct {
	server   *smtptest.Server
	renderer *smtpmail.Renderer
	mailer   *smtpmail.SMTPMailer
}

func setup(t *testing.T) testBundle {
	t.Helper()
	r, err := smtpmail.NewRenderer("")
	if err != nil {
		t.Fatalf("NewRenderer: %v", err)
	}
	srv := smtptest.Start(t)
	m, err := smtpmail.NewSMTP(srv.URL(), from, r)
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	return testBundle{server: srv, renderer: r, mailer: m}
}

var verify = ports.Email{
	To:   "ada@example.com",
	Kind: ports.EmailVerify,
	Vars: map[string]string{"link": "https://id.example.com/verify?token=abc123"},
}

func TestSMTPMailerSend(t *testing.T) {
	t.Parallel()

	t.Run("delivers text and HTML parts with the right headers", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		if err := b.mailer.Send(context.Background(), verify); err != nil {
			t.Fatalf("Send: %v", err)
		}
		got := b.server.WaitFor(t, verify.To, 5*time.Second)
		want, err := b.renderer.Render(verify)
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		if got.Subject != want.Subject || got.Text != want.Text || got.HTML != want.HTML {
			t.Fatalf("received %q\ntext:\n%s\nhtml:\n%s\nwant %q\ntext:\n%s\nhtml:\n%s",
				got.Subject, got.Text, got.HTML, want.Subject, want.Text, want.HTML)
		}
		if got.From != "no-reply@example.com" {
			t.Fatalf("envelope sender = %q", got.From)
		}
		if h := got.Header.Get("From"); h != `"authd" <no-reply@example.com>` {
			t.Fatalf("From = %q", h)
		}
		if h := got.Header.Get("To"); h != "<ada@example.com>" {
			t.Fatalf("To = %q", h)
		}
		if _, err := got.Header.Date(); err != nil {
			t.Fatalf("Date: %v", err)
		}
		if id := got.Header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.com>") {
			t.Fatalf("Message-ID = %q", id)
		}
		if ct := got.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative;") {
			t.Fatalf("Content-Type = %q", ct)
		}
	})

	t.Run("authenticates when the URL has credentials", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		m, err := smtpmail.NewSMTP(strings.Replace(b.server.URL(), "//", "//ada:s3cret@", 1), from, b.renderer)
		if err != nil {
			t.Fatalf("NewSMTP: %v", err)
		}
		if err := m.Send(context.Background(), verify); err != nil {
			t.Fatalf("Send: %v", err)
		}
		b.server.WaitFor(t, verify.To, 5*time.Second)
	})

	t.Run("fails on a render error without connecting", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		err := b.mailer.Send(context.Background(), ports.Email{To: "ada@example.com", Kind: ports.EmailVerify})
		if err == nil || b.server.Count() != 0 {
			t.Fatalf("Send = %v with %d messages, want an error and none", err, b.server.Count())
		}
	})

	t.Run("fails on an invalid recipient", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		bad := verify
		bad.To = "not an address"
		if err := b.mailer.Send(context.Background(), bad); err == nil {
			t.Fatal("Send succeeded")
		}
	})
}

func TestSMTPMailerOutage(t *testing.T) {
	t.Parallel()

	t.Run("fails while the server refuses, then succeeds", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.server.SetRefusing(true)
		err := b.mailer.Send(context.Background(), verify)
		if err == nil || !strings.Contains(err.Error(), "451") {
			t.Fatalf("Send to a refusing server = %v, want a 451 error", err)
		}
		b.server.SetRefusing(false)
		if err := b.mailer.Send(context.Background(), verify); err != nil {
			t.Fatalf("Send after the outage: %v", err)
		}
		if n := b.server.Count(); n != 1 {
			t.Fatalf("Count = %d, want 1", n)
		}
	})

	t.Run("fails when the server is down", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		m, err := smtpmail.NewSMTP("smtp://"+closedAddr(t), from, b.renderer)
		if err != nil {
			t.Fatalf("NewSMTP: %v", err)
		}
		if err := m.Send(context.Background(), verify); err == nil {
			t.Fatal("Send succeeded")
		}
	})

	t.Run("fails with the context error when cancelled mid-conversation", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		m, err := smtpmail.NewSMTP("smtp://"+silentAddr(t), from, b.renderer)
		if err != nil {
			t.Fatalf("NewSMTP: %v", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		err = m.Send(ctx, verify)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Send = %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Send returned after %v, long after the cancel", d)
		}
	})
	t.Run("succeeds when the server hangs up after accepting the message", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		addr, accepted := hangUpAfterDataAddr(t)
		m, err := smtpmail.NewSMTP("smtp://"+addr, from, b.renderer)
		if err != nil {
			t.Fatalf("NewSMTP: %v", err)
		}
		// The server took the message: an error would make the job retry and
		// the user get the email twice.
		if err := m.Send(context.Background(), verify); err != nil {
			t.Fatalf("Send = %v after the server accepted the message", err)
		}
		if n := accepted(); n != 1 {
			t.Fatalf("the server accepted %d messages, want 1", n)
		}
	})
}

// hangUpAfterDataAddr is an SMTP server that accepts one message per
// connection and hangs up right after saying so, before the client's next
// command; accepted counts the messages it took.
func hangUpAfterDataAddr(t *testing.T) (addr string, accepted func() int) {
	var n atomic.Int32
	addr = serveTCP(t, func(conn net.Conn) {
		tp := textproto.NewConn(conn)
		_ = tp.PrintfLine("220 hangup.example ESMTP")
		for {
			line, err := tp.ReadLine()
			if err != nil {
				return
			}
			switch cmd := strings.ToUpper(strings.Fields(line + " x")[0]); cmd {
			case "EHLO", "HELO":
				_ = tp.PrintfLine("250 hangup.example")
			case "DATA":
				_ = tp.PrintfLine("354 go ahead")
				if _, err := tp.ReadDotBytes(); err != nil {
					return
				}
				n.Add(1)
				_ = tp.PrintfLine("250 queued")
				return
			default:
				_ = tp.PrintfLine("250 ok")
			}
		}
	})
	return addr, func() int { return int(n.Load()) }
}

// serveTCP listens on loopback until the test ends and serves each
// connection with handle, closing it after.
func serveTCP(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				handle(conn)
			}()
		}
	}()
	return ln.Addr().String()
}

// closedAddr is an address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// silentAddr is a server that accepts connections and never answers, as a
// stalled SMTP server would.
func silentAddr(t *testing.T) string {
	// Read until the client hangs up, which the cancelled Send must do.
	return serveTCP(t, func(conn net.Conn) { _, _ = io.Copy(io.Discard, conn) })
}
