package smtptest_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"authd/adapters/smtpmail/smtptest"
)

// send delivers raw, with "\n" line ends, through a plain SMTP client.
func send(t *testing.T, s *smtptest.Server, to []string, raw string) error {
	t.Helper()
	c, err := smtp.Dial(strings.TrimPrefix(s.URL(), "smtp://"))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	return c.SendMail("sender@example.com", to, strings.NewReader(strings.ReplaceAll(raw, "\n", "\r\n")))
}

const nested = `From: sender@example.com
To: ada@example.com
Subject: =?utf-8?q?Caf=C3=A9_news?=
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=outer

--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

SGVsbG8sIGNhZsOpIQ==
--inner
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable

<p>Hello, caf=C3=A9!</p>
--inner--
--outer--
`

func TestServer(t *testing.T) {
	t.Parallel()

	t.Run("decodes nested parts and keeps one copy per recipient", func(t *testing.T) {
		t.Parallel()
		s := smtptest.Start(t)
		if err := send(t, s, []string{"ada@example.com", "bob@example.com"}, nested); err != nil {
			t.Fatalf("send: %v", err)
		}
		for _, to := range []string{"ada@example.com", "bob@example.com"} {
			m := s.WaitFor(t, to, 5*time.Second)
			if m.To != to || m.From != "sender@example.com" || m.Subject != "Café news" ||
				m.Text != "Hello, café!" || m.HTML != "<p>Hello, café!</p>" {
				t.Fatalf("message = %+v", m)
			}
		}
		if n := s.Count(); n != 2 || len(s.Messages()) != 2 {
			t.Fatalf("Count = %d, Messages = %d, want 2", n, len(s.Messages()))
		}
	})

	t.Run("returns each message to an address once", func(t *testing.T) {
		t.Parallel()
		s := smtptest.Start(t)
		for i := range 2 {
			body := fmt.Sprintf("Subject: n%d\n\nbody %d\n", i, i)
			if err := send(t, s, []string{"ada@example.com"}, body); err != nil {
				t.Fatalf("send: %v", err)
			}
		}
		first, second := s.WaitFor(t, "ada@example.com", time.Second), s.WaitFor(t, "ada@example.com", time.Second)
		if first.Subject != "n0" || second.Subject != "n1" || second.Text != "body 1\n" {
			t.Fatalf("got %q then %q (%q)", first.Subject, second.Subject, second.Text)
		}
	})

	t.Run("answers 451 while refusing", func(t *testing.T) {
		t.Parallel()
		s := smtptest.Start(t)
		s.SetRefusing(true)
		err := send(t, s, []string{"ada@example.com"}, "Subject: x\n\nx\n")
		if err == nil || !strings.Contains(err.Error(), "451") || s.Count() != 0 {
			t.Fatalf("send = %v with %d messages, want a 451 error and none", err, s.Count())
		}
	})

	t.Run("fails the test when no message arrives in time", func(t *testing.T) {
		t.Parallel()
		s := smtptest.Start(t)
		rec := &fatalRecorder{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.WaitFor(rec, "ada@example.com", 50*time.Millisecond)
		}()
		<-done
		if !strings.Contains(rec.msg, "no new email to ada@example.com") {
			t.Fatalf("WaitFor failed with %q", rec.msg)
		}
	})
}

// fatalRecorder records Fatalf instead of failing the real test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
