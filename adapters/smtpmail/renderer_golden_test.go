package smtpmail

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"authd/ports"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sampleVars fills every variable each kind reads, with realistic values.
var sampleVars = map[ports.EmailKind]map[string]string{
	ports.EmailVerify:            {"link": "https://id.example.com/verify?token=abc123"},
	ports.EmailPasswordReset:     {"link": "https://id.example.com/reset?token=abc123"},
	ports.EmailChangeVerify:      {"link": "https://id.example.com/email/confirm?token=abc123", "new_email": "ada@new.example.com"},
	ports.EmailChangedNotice:     {"new_email": "ada@new.example.com"},
	ports.EmailNewDevice:         {"device": "Firefox 128 on Ubuntu", "ip": "203.0.113.7", "when": "2 June 2026, 14:05 UTC"},
	ports.EmailAccountLocked:     {"until": "2 June 2026, 14:20 UTC", "reset_link": "https://id.example.com/reset"},
	ports.EmailDeletionScheduled: {"execute_at": "16 June 2026, 14:05 UTC", "cancel_link": "https://id.example.com/deletion/cancel?token=abc123"},
	ports.EmailDeletionCancelled: nil,
	ports.EmailAccountDeleted:    nil,
	ports.EmailSSOLinked:         {"provider": "Example Corp SSO"},
}

func TestRenderGolden(t *testing.T) {
	t.Parallel()
	r, err := NewRenderer("")
	if err != nil {
		t.Fatalf("NewRenderer: %v", err)
	}
	for _, kind := range kinds {
		t.Run(string(kind)+" matches golden files", func(t *testing.T) {
			t.Parallel()
			vars, ok := sampleVars[kind]
			if !ok {
				t.Fatalf("no sample vars for %q: add them to sampleVars", kind)
			}
			got, err := r.Render(ports.Email{To: "ada@example.com", Kind: kind, Vars: vars})
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			golden(t, string(kind)+".txt", "Subject: "+got.Subject+"\n\n"+got.Text)
			golden(t, string(kind)+".html", got.HTML)
		})
	}
}

// golden compares got with testdata/name, or rewrites the file under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatalf("update golden file: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if got != string(want) {
		t.Fatalf("%s differs from the rendering (run go test -update and review the diff)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}
