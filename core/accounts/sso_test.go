package accounts_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"authd/core/accounts"
	"authd/core/auth"
)

// ssoPolicy is a ports.SSOPolicy fake: the domains that enforce SSO, which a
// test may change after accounts exist.
type ssoPolicy struct {
	mu       sync.Mutex
	enforced map[string]bool
	err      error
}

func (p *ssoPolicy) EnforcedForEmail(_ context.Context, email string) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, domain, _ := strings.Cut(email, "@")
	return p.enforced[strings.ToLower(domain)], p.err
}

func (p *ssoPolicy) enforce(domain string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.enforced[domain] = true
}

func TestSSOEnforcement(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	setupSSO := func(t *testing.T) (testBundle, *ssoPolicy) {
		p := &ssoPolicy{enforced: map[string]bool{}}
		return setup(t, func(d *accounts.Deps) { d.SSO = p }), p
	}
	t.Run("SignupInAnEnforcedDomainIsRefusedBeforeThePasswordIsJudged", func(t *testing.T) {
		t.Parallel()
		b, p := setupSSO(t)
		p.enforce("corp.example")
		for _, pw := range []string{goodPassword, "short"} {
			if _, _, err := b.svc.Signup(ctx, "New@Corp.Example", pw, client); !errors.Is(err, auth.ErrSSORequired) {
				t.Fatalf("Signup with %q = %v, want sso_required", pw, err)
			}
		}
		if _, err := b.db.FindUserByEmail(ctx, "new@corp.example"); !errors.Is(err, auth.ErrNotFound) {
			t.Fatalf("a refused signup created a user: %v", err)
		}
		if n := len(b.db.Jobs()); n != 0 {
			t.Fatalf("a refused signup enqueued %d jobs", n)
		}
	})
	t.Run("PasswordLoginInAnEnforcedDomainIsRefusedRightOrWrong", func(t *testing.T) {
		t.Parallel()
		b, p := setupSSO(t)
		u, _, err := b.svc.Signup(ctx, "old@corp.example", goodPassword, client)
		if err != nil {
			t.Fatal(err)
		}
		p.enforce("corp.example")
		before, _ := b.db.ListSessionsByUser(ctx, u.ID, b.clock.Now())
		for _, pw := range []string{goodPassword, "not the password"} {
			if _, _, err := b.svc.Login(ctx, "old@corp.example", pw, client); !errors.Is(err, auth.ErrSSORequired) {
				t.Fatalf("Login with %q = %v, want sso_required (the same for a right and a wrong password)", pw, err)
			}
		}
		after, _ := b.db.ListSessionsByUser(ctx, u.ID, b.clock.Now())
		if len(after) != len(before) {
			t.Fatalf("a refused login started a session")
		}
	})
	t.Run("OtherDomainsAreUnaffected", func(t *testing.T) {
		t.Parallel()
		b, p := setupSSO(t)
		p.enforce("corp.example")
		if _, _, err := b.svc.Signup(ctx, "someone@elsewhere.example", goodPassword, client); err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.svc.Login(ctx, "someone@elsewhere.example", goodPassword, client); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("PolicyFailureFailsClosed", func(t *testing.T) {
		t.Parallel()
		b, p := setupSSO(t)
		p.err = errors.New("database down")
		if _, _, err := b.svc.Signup(ctx, "a@corp.example", goodPassword, client); !errors.Is(err, p.err) {
			t.Fatalf("Signup = %v, want the policy's error", err)
		}
		if _, _, err := b.svc.Login(ctx, "a@corp.example", goodPassword, client); !errors.Is(err, p.err) {
			t.Fatalf("Login = %v, want the policy's error", err)
		}
	})
}
