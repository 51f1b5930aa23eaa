package sso_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/core/sso"
)

func TestStepUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	// signedIn is alice, signed in through SSO 30 minutes ago in br.
	signedIn := func(t *testing.T, b *testBundle) (*browser, auth.Session, string) {
		t.Helper()
		br := &browser{}
		out := b.signIn(t, br, alice)
		b.clock.Advance(30 * time.Minute)
		sess, _, err := b.sessions.Authenticate(ctx, out.Session.Token)
		if err != nil {
			t.Fatal(err)
		}
		return br, sess, out.Session.Token
	}
	stepUp := func(t *testing.T, b *testBundle, br *browser, sess auth.Session) string {
		t.Helper()
		r, err := b.svc.StartStepUp(ctx, sess, "/settings", br.binding)
		if err != nil {
			t.Fatalf("StartStepUp: %v", err)
		}
		if r.Binding != br.binding {
			t.Fatal("the step-up did not reuse the browser's binding")
		}
		req := b.sp.lastRequest(t)
		if !req.forceAuthn || req.provider.ID != b.corp.ID {
			t.Fatalf("AuthnRequest forceAuthn=%v to %s; want ForceAuthn to corp.example", req.forceAuthn, req.provider.Domain)
		}
		return req.id
	}

	t.Run("FreshAuthenticationElevatesTheSessionAndRotatesItsToken", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		br, sess, oldToken := signedIn(t, b)
		req := stepUp(t, b, br, sess)
		b.clock.Advance(20 * time.Second) // the user types their password at the IdP
		out, err := b.post(br, b.sp.respond(b.corp, b.assertion(alice, req)), "")
		if err != nil {
			t.Fatal(err)
		}
		if !out.StepUp || out.ReturnTo != "/settings" || out.Session.Session.ID != sess.ID || out.User.ID != sess.UserID {
			t.Fatalf("outcome = %+v", out)
		}
		if _, _, err := b.sessions.Authenticate(ctx, oldToken); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("the old token still works: %v", err)
		}
		got, _, err := b.sessions.Authenticate(ctx, out.Session.Token)
		if err != nil {
			t.Fatal(err)
		}
		if !got.ReauthenticatedAt.Equal(b.clock.Now()) || !slices.Contains(got.AMR, auth.MethodSAML) {
			t.Fatalf("session reauthenticated_at %v, amr %v", got.ReauthenticatedAt, got.AMR)
		}
		list, _ := b.db.ListSessionsByUser(ctx, sess.UserID, b.clock.Now())
		if len(list) != 1 {
			t.Fatalf("%d sessions; a step-up must not start another", len(list))
		}
	})

	rejected := []struct {
		name, reason string
		assert       func(b *testBundle, sess auth.Session, req string) auth.SAMLAssertion
	}{
		{"AuthnInstantOlderThanTheWindow", sso.ReasonAuthnTooOld, func(b *testBundle, _ auth.Session, req string) auth.SAMLAssertion {
			a := b.assertion(alice, req)
			a.AuthnInstant = b.clock.Now().Add(-11 * time.Minute)
			return a
		}},
		{"AuthnInstantBeforeTheRequest", sso.ReasonAuthnTooOld, func(b *testBundle, _ auth.Session, req string) auth.SAMLAssertion {
			// Within the window, but the IdP ignored ForceAuthn and
			// reports its existing session's authentication.
			a := b.assertion(alice, req)
			a.AuthnInstant = b.clock.Now().Add(-5 * time.Minute)
			return a
		}},
		{"NoAuthnInstant", sso.ReasonAuthnTooOld, func(b *testBundle, _ auth.Session, req string) auth.SAMLAssertion {
			a := b.assertion(alice, req)
			a.AuthnInstant = time.Time{}
			return a
		}},
		{"AnotherUsersIdentity", sso.ReasonIdentityMismatch, func(b *testBundle, _ auth.Session, req string) auth.SAMLAssertion {
			return b.assertion(user{nameID: "bob", email: "bob@corp.example"}, req)
		}},
		{"SessionRevokedMeanwhile", sso.ReasonSessionEnded, func(b *testBundle, sess auth.Session, req string) auth.SAMLAssertion {
			if err := b.sessions.Revoke(context.Background(), sess.UserID, sess.ID); err != nil {
				panic(err)
			}
			return b.assertion(alice, req)
		}},
	}
	for _, c := range rejected {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			if c.reason == sso.ReasonIdentityMismatch {
				b.signIn(t, &browser{}, user{nameID: "bob", email: "bob@corp.example"})
			}
			br, sess, oldToken := signedIn(t, b)
			req := stepUp(t, b, br, sess)
			_, err := b.post(br, b.sp.respond(b.corp, c.assert(b, sess, req)), "")
			requireRejected(t, err, c.reason)
			if c.reason == sso.ReasonSessionEnded {
				return
			}
			got, _, err := b.sessions.Authenticate(ctx, oldToken)
			if err != nil || !got.ReauthenticatedAt.Equal(sess.ReauthenticatedAt) {
				t.Fatalf("a refused step-up changed the session: %v, reauthenticated_at %v", err, got.ReauthenticatedAt)
			}
		})
	}

	t.Run("UserWithoutIdentityHasNoProvider", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		issued, err := b.sessions.Start(ctx, uuid.New(), auth.Client{}, auth.MethodPassword)
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.svc.StartStepUp(ctx, issued.Session, "", "")
		if !errors.Is(err, auth.ErrNoSSOProvider) {
			t.Fatalf("StartStepUp = %v, want no_sso_provider", err)
		}
		if has, err := b.svc.HasSAMLIdentity(ctx, issued.Session.UserID); err != nil || has {
			t.Fatalf("HasSAMLIdentity = %v, %v", has, err)
		}
	})
	t.Run("LoginResponseCannotBeUsedAsAStepUp", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		br, sess, oldToken := signedIn(t, b)
		// A login request's response signs in anew; it never elevates.
		req := b.login(t, br, alice.email, "")
		out, err := b.post(br, b.sp.respond(b.corp, b.assertion(alice, req)), "")
		if err != nil || out.StepUp || out.Session.Session.ID == sess.ID {
			t.Fatalf("outcome %+v, %v", out, err)
		}
		if got, _, err := b.sessions.Authenticate(ctx, oldToken); err != nil || !got.ReauthenticatedAt.Equal(sess.ReauthenticatedAt) {
			t.Fatalf("the old session was elevated: %v", err)
		}
	})
}
