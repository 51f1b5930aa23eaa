package smtpmail_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"authd/adapters/smtpmail"
	"authd/ports"
)

// logMail sends e through a LogMailer and returns the one JSON line it logged.
func logMail(t *testing.T, e ports.Email) map[string]any {
	t.Helper()
	r, err := smtpmail.NewRenderer("")
	if err != nil {
		t.Fatalf("NewRenderer: %v", err)
	}
	var buf bytes.Buffer
	m := smtpmail.NewLog(slog.New(slog.NewJSONHandler(&buf, nil)), r)
	if err := m.Send(context.Background(), e); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if n := strings.Count(buf.String(), "\n"); n != 1 {
		t.Fatalf("logged %d lines, want 1:\n%s", n, buf.String())
	}
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log line is not JSON: %v", err)
	}
	return line
}

func TestLogMailer(t *testing.T) {
	t.Parallel()

	t.Run("logs the link and headers but not the body", func(t *testing.T) {
		t.Parallel()
		line := logMail(t, verify)
		want := map[string]any{
			"level":   "INFO",
			"msg":     "email (not sent: no SMTP server configured)",
			"to":      "ada@example.com",
			"subject": "Confirm your email address for authd",
			"kind":    "verify_email",
			"link":    "https://id.example.com/verify?token=abc123",
		}
		for k, v := range want {
			if line[k] != v {
				t.Fatalf("%s = %v, want %v (line %v)", k, line[k], v, line)
			}
		}
		if len(line) != len(want)+1 { // and time
			t.Fatalf("line has other fields than %v and time: %v", want, line)
		}
	})

	t.Run("logs links named *_link", func(t *testing.T) {
		t.Parallel()
		line := logMail(t, ports.Email{To: "ada@example.com", Kind: ports.EmailAccountLocked, Vars: map[string]string{
			"until": "14:20 UTC", "reset_link": "https://id.example.com/reset",
		}})
		if line["reset_link"] != "https://id.example.com/reset" || line["until"] != nil {
			t.Fatalf("line = %v, want reset_link and no until", line)
		}
	})

	t.Run("fails on a render error", func(t *testing.T) {
		t.Parallel()
		r, err := smtpmail.NewRenderer("")
		if err != nil {
			t.Fatalf("NewRenderer: %v", err)
		}
		var buf bytes.Buffer
		m := smtpmail.NewLog(slog.New(slog.NewJSONHandler(&buf, nil)), r)
		if err := m.Send(context.Background(), ports.Email{Kind: ports.EmailVerify}); err == nil {
			t.Fatal("Send succeeded without the link")
		}
		if buf.Len() != 0 {
			t.Fatalf("logged %q for an email that failed to render", buf.String())
		}
	})
}
