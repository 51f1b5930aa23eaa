package smtpmail_test

import (
	"strings"
	"testing"

	"authd/adapters/smtpmail"
	"authd/ports"
)

func TestRender(t *testing.T) {
	t.Parallel()
	r, err := smtpmail.NewRenderer("")
	if err != nil {
		t.Fatalf("NewRenderer: %v", err)
	}

	t.Run("escapes hostile values in HTML", func(t *testing.T) {
		t.Parallel()
		got, err := r.Render(ports.Email{Kind: ports.EmailChangeVerify, Vars: map[string]string{
			"new_email": `"><script>alert(1)</script>@evil.example`,
			"link":      "javascript:alert(1)",
		}})
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		if strings.Contains(got.HTML, "<script>") || strings.Contains(got.HTML, `href="javascript:`) {
			t.Fatalf("HTML carries a hostile value unescaped:\n%s", got.HTML)
		}
		// html/template escapes text and replaces an unsafe URL with #ZgotmplZ.
		if !strings.Contains(got.HTML, "&lt;script&gt;") || !strings.Contains(got.HTML, `href="#ZgotmplZ"`) {
			t.Fatalf("HTML lacks the escaped values:\n%s", got.HTML)
		}
	})

	t.Run("fails on a missing variable", func(t *testing.T) {
		t.Parallel()
		_, err := r.Render(ports.Email{Kind: ports.EmailChangeVerify, Vars: map[string]string{"link": "https://x.example"}})
		if err == nil || !strings.Contains(err.Error(), "new_email") {
			t.Fatalf("Render error = %v, want one naming new_email", err)
		}
	})

	t.Run("fails on nil variables when the kind needs some", func(t *testing.T) {
		t.Parallel()
		if _, err := r.Render(ports.Email{Kind: ports.EmailVerify}); err == nil {
			t.Fatal("Render succeeded without the link")
		}
	})

	t.Run("fails on an unknown kind", func(t *testing.T) {
		t.Parallel()
		_, err := r.Render(ports.Email{Kind: "no_such_kind"})
		if err == nil || !strings.Contains(err.Error(), "no_such_kind") {
			t.Fatalf("Render error = %v, want one naming the kind", err)
		}
	})

	t.Run("uses authd as the default product name", func(t *testing.T) {
		t.Parallel()
		got, err := r.Render(ports.Email{Kind: ports.EmailAccountDeleted})
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		if got.Subject != "Your authd account has been deleted" {
			t.Fatalf("Subject = %q", got.Subject)
		}
	})
}

func TestNewRendererProduct(t *testing.T) {
	t.Parallel()
	r, err := smtpmail.NewRenderer("Acme ID")
	if err != nil {
		t.Fatalf("NewRenderer: %v", err)
	}
	got, err := r.Render(ports.Email{Kind: ports.EmailDeletionCancelled})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	for name, s := range map[string]string{"subject": got.Subject, "text": got.Text, "HTML": got.HTML} {
		if !strings.Contains(s, "Acme ID") || strings.Contains(s, "authd") {
			t.Fatalf("%s does not name the product Acme ID only:\n%s", name, s)
		}
	}
}
