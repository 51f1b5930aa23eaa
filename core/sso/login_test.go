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
	"authd/ports"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("FirstLoginProvisionsAVerifiedUserWithoutPassword", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		out := b.signIn(t, &browser{}, alice)
		if !out.Provisioned || out.Linked || out.StepUp || out.ReturnTo != "/home" {
			t.Fatalf("outcome = %+v", out)
		}
		u := out.User
		if u.Email != alice.email || !u.EmailVerified || u.HasPassword() {
			t.Fatalf("user = %+v; want verified, without password", u)
		}
		sess, got, err := b.sessions.Authenticate(ctx, out.Session.Token)
		if err != nil || got.ID != u.ID {
			t.Fatalf("the session does not authenticate the user: %v", err)
		}
		if sess.AuthMethod != auth.MethodSAML || !slices.Equal(sess.AMR, []string{auth.MethodSAML}) {
			t.Fatalf("auth_method %q, amr %v; want saml", sess.AuthMethod, sess.AMR)
		}
		id, err := b.db.FindSAMLIdentity(ctx, b.corp.ID, alice.nameID)
		if err != nil || id.UserID != u.ID {
			t.Fatalf("identity = %+v, %v", id, err)
		}
		if n := len(b.db.Jobs()); n != 0 {
			t.Fatalf("a provisioning login enqueued %d jobs, want none", n)
		}
	})
	t.Run("SecondLoginFindsTheSameUser", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		first := b.signIn(t, &browser{}, alice)
		b.clock.Advance(time.Hour)
		second := b.signIn(t, &browser{}, alice)
		if second.User.ID != first.User.ID || second.Provisioned || second.Linked {
			t.Fatalf("second login = %+v; want the first user found", second)
		}
		id, _ := b.db.FindSAMLIdentity(ctx, b.corp.ID, alice.nameID)
		if !id.LastLoginAt.Equal(start.Add(time.Hour)) {
			t.Fatalf("last_login_at = %v, want the second login's time", id.LastLoginAt)
		}
	})
	t.Run("IdentityIsKeyedOnTheNameIDNotTheEmail", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		first := b.signIn(t, &browser{}, alice)
		renamed := alice
		renamed.email = "alice.smith@corp.example"
		second := b.signIn(t, &browser{}, renamed)
		if second.User.ID != first.User.ID || second.User.Email != alice.email {
			t.Fatalf("a new address at the IdP made another user: %+v", second.User)
		}
	})
	t.Run("EmailNameIDIsTheAddressAndItsKeyIgnoresCase", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		bob := user{nameID: "Bob@Corp.Example", format: sso.NameIDEmail}
		br := &browser{}
		req := b.login(t, br, "bob@corp.example", "")
		out, err := b.post(br, b.sp.respond(b.corp, b.assertion(bob, req)), "")
		if err != nil {
			t.Fatal(err)
		}
		if out.User.Email != "Bob@Corp.Example" || out.ReturnTo != "/" {
			t.Fatalf("user %q, return_to %q", out.User.Email, out.ReturnTo)
		}
		if _, err := b.db.FindSAMLIdentity(ctx, b.corp.ID, "bob@corp.example"); err != nil {
			t.Fatalf("identity not keyed on the lowercased address: %v", err)
		}
		again := b.signIn(t, &browser{}, user{nameID: "BOB@corp.example", format: sso.NameIDEmail, email: "bob@corp.example"})
		if again.User.ID != out.User.ID {
			t.Fatal("the same address in another case made another user")
		}
	})
	t.Run("VerifiedAccountIsLinkedAndTheUserTold", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		existing := auth.User{ID: uuid.New(), Email: "Alice@corp.example", EmailVerified: true, PasswordHash: "$argon2id$x",
			CreatedAt: start, UpdatedAt: start}
		if err := b.db.CreateUser(ctx, existing); err != nil {
			t.Fatal(err)
		}
		out := b.signIn(t, &browser{}, alice)
		if out.User.ID != existing.ID || !out.Linked || out.Provisioned {
			t.Fatalf("outcome = %+v; want the existing account linked", out)
		}
		jobs := b.db.Jobs()
		want := ports.SendEmailJob{UserID: existing.ID, Email: ports.EmailSSOLinked, ProviderID: b.corp.ID}
		if len(jobs) != 1 || jobs[0].Args != want {
			t.Fatalf("jobs = %+v, want %+v", jobs, want)
		}
		email, err := b.svc.ComposeLinkedEmail(ctx, want)
		if err != nil || email.To != existing.Email || email.Kind != ports.EmailSSOLinked || email.Vars["provider"] != "corp.example" {
			t.Fatalf("ComposeLinkedEmail = %+v, %v", email, err)
		}
		// The next login finds the identity: nobody is told twice.
		b.signIn(t, &browser{}, alice)
		if n := len(b.db.Jobs()); n != 1 {
			t.Fatalf("%d jobs after a second login, want 1", n)
		}
	})
	t.Run("LinkedEmailForADeletedProviderIsDropped", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		out := b.signIn(t, &browser{}, alice)
		if err := b.svc.DeleteProvider(ctx, b.corp.ID); err != nil {
			t.Fatal(err)
		}
		_, err := b.svc.ComposeLinkedEmail(ctx, ports.SendEmailJob{UserID: out.User.ID, Email: ports.EmailSSOLinked, ProviderID: b.corp.ID})
		if !errors.Is(err, auth.ErrNotFound) {
			t.Fatalf("ComposeLinkedEmail = %v, want not_found so the worker cancels", err)
		}
	})
	t.Run("LostRaceWithAConcurrentFirstLoginIsRetried", func(t *testing.T) {
		t.Parallel()
		users := &racingUsers{}
		b := setup(t, func(d *sso.Deps, _ *sso.Config) { users.UserStore = d.Users; d.Users = users })
		out := b.signIn(t, &browser{}, alice)
		if users.lost != 1 || !out.Provisioned {
			t.Fatalf("lost %d races, outcome %+v", users.lost, out)
		}
	})
	t.Run("IdPInitiatedLoginWhereAllowed", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		allow := true
		if _, err := b.svc.UpdateProvider(ctx, b.corp.ID, sso.ProviderChange{AllowIdPInitiated: &allow}); err != nil {
			t.Fatal(err)
		}
		for relay, want := range map[string]string{"/reports": "/reports", "https://app.example/x": "https://app.example/x",
			"https://evil.example/": "/", "": "/"} {
			out, err := b.post(&browser{}, b.sp.respond(b.corp, b.assertion(alice, "")), relay)
			if err != nil || out.ReturnTo != want {
				t.Fatalf("RelayState %q: return_to %q, %v; want %q", relay, out.ReturnTo, err, want)
			}
		}
	})
	t.Run("SharedEntityIDPicksTheRequestsProvider", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		// One IdP tenant serving two domains under one entity ID.
		other := b.addProvider(t, "corp-subsidiary.example", b.corp.EntityID, certA)
		br := &browser{}
		req := b.login(t, br, "carol@corp-subsidiary.example", "")
		carol := user{nameID: "carol", email: "carol@corp-subsidiary.example"}
		out, err := b.post(br, b.sp.respond(other, b.assertion(carol, req)), "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.db.FindSAMLIdentity(ctx, other.ID, "carol"); err != nil || out.User.Email != carol.email {
			t.Fatalf("identity at the request's provider: %v", err)
		}
	})
}

// racingUsers loses the first CreateUser to a concurrent first login of the
// same user, as PostgreSQL reports it: email taken.
type racingUsers struct {
	ports.UserStore
	lost int
}

func (r *racingUsers) CreateUser(ctx context.Context, u auth.User) error {
	if r.lost == 0 {
		r.lost++
		return auth.ErrEmailTaken
	}
	return r.UserStore.CreateUser(ctx, u)
}

func TestRejections(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	emails := []string{alice.email, "mallory@evil.example", "bob@corp.example"}

	cases := []struct {
		name   string
		reason string
		// attack returns a browser and what it posts, after any setup.
		attack func(t *testing.T, b *testBundle) (*browser, string, string)
	}{
		{"Replayed", sso.ReasonReplayed, func(t *testing.T, b *testBundle) (*browser, string, string) {
			br := &browser{}
			resp := b.sp.respond(b.corp, b.assertion(alice, b.login(t, br, alice.email, "")))
			if _, err := b.post(br, resp, ""); err != nil {
				t.Fatal(err)
			}
			b.snapshot = b.counts(t, emails...)
			return br, resp, ""
		}},
		{"ReplayedIdPInitiated", sso.ReasonReplayed, func(t *testing.T, b *testBundle) (*browser, string, string) {
			allow := true
			if _, err := b.svc.UpdateProvider(ctx, b.corp.ID, sso.ProviderChange{AllowIdPInitiated: &allow}); err != nil {
				t.Fatal(err)
			}
			resp := b.sp.respond(b.corp, b.assertion(alice, ""))
			if _, err := b.post(&browser{}, resp, ""); err != nil {
				t.Fatal(err)
			}
			b.snapshot = b.counts(t, emails...)
			return &browser{}, resp, ""
		}},
		{"RequestOfAnotherBrowser", sso.ReasonOtherBrowser, func(t *testing.T, b *testBundle) (*browser, string, string) {
			victim := &browser{}
			req := b.login(t, victim, alice.email, "")
			attacker := &browser{}
			b.login(t, attacker, alice.email, "") // the attacker has a binding of their own
			return attacker, b.sp.respond(b.corp, b.assertion(alice, req)), ""
		}},
		{"NoBindingCookie", sso.ReasonOtherBrowser, func(t *testing.T, b *testBundle) (*browser, string, string) {
			req := b.login(t, &browser{}, alice.email, "")
			return &browser{}, b.sp.respond(b.corp, b.assertion(alice, req)), ""
		}},
		{"UnknownRequest", sso.ReasonUnknownRequest, func(t *testing.T, b *testBundle) (*browser, string, string) {
			br := &browser{}
			b.login(t, br, alice.email, "")
			return br, b.sp.respond(b.corp, b.assertion(alice, "_never-sent")), ""
		}},
		{"ExpiredRequest", sso.ReasonRequestExpired, func(t *testing.T, b *testBundle) (*browser, string, string) {
			br := &browser{}
			req := b.login(t, br, alice.email, "")
			b.clock.Advance(5 * time.Minute)
			return br, b.sp.respond(b.corp, b.assertion(alice, req)), ""
		}},
		{"Unsolicited", sso.ReasonUnsolicited, func(t *testing.T, b *testBundle) (*browser, string, string) {
			return &browser{}, b.sp.respond(b.corp, b.assertion(alice, "")), ""
		}},
		{"UnknownIssuer", sso.ReasonWrongIssuer, func(t *testing.T, b *testBundle) (*browser, string, string) {
			br := &browser{}
			req := b.login(t, br, alice.email, "")
			a := b.assertion(alice, req)
			a.Issuer = "https://evil-idp.example/entity"
			return br, b.sp.respond(b.corp, a), ""
		}},
		{"AnswerFromAnotherProvidersIdP", sso.ReasonWrongIssuer, func(t *testing.T, b *testBundle) (*browser, string, string) {
			// evil.example registered its own IdP; it answers a request
			// corp.example's IdP was sent, asserting a corp.example user.
			evil := b.addProvider(t, "evil.example", "https://idp.evil.example/entity", certC)
			br := &browser{}
			req := b.login(t, br, alice.email, "")
			return br, b.sp.respond(evil, b.assertion(alice, req)), ""
		}},
		{"EmailOutsideTheDomain", sso.ReasonEmailOutsideDomain, func(t *testing.T, b *testBundle) (*browser, string, string) {
			br := &browser{}
			req := b.login(t, br, alice.email, "")
			return br, b.sp.respond(b.corp, b.assertion(user{nameID: "m", email: "mallory@evil.example"}, req)), ""
		}},
		{"EmailOnALookalikeDomain", sso.ReasonEmailOutsideDomain, func(t *testing.T, b *testBundle) (*browser, string, string) {
			br := &browser{}
			req := b.login(t, br, alice.email, "")
			return br, b.sp.respond(b.corp, b.assertion(user{nameID: "m", email: "alice@corp.example.evil.example"}, req)), ""
		}},
		{"NoEmail", sso.ReasonNoEmail, func(t *testing.T, b *testBundle) (*browser, string, string) {
			br := &browser{}
			req := b.login(t, br, alice.email, "")
			return br, b.sp.respond(b.corp, b.assertion(user{nameID: "x"}, req)), ""
		}},
		{"MalformedEmail", sso.ReasonNoEmail, func(t *testing.T, b *testBundle) (*browser, string, string) {
			br := &browser{}
			req := b.login(t, br, alice.email, "")
			return br, b.sp.respond(b.corp, b.assertion(user{nameID: "x", email: "a@b@corp.example"}, req)), ""
		}},
		{"TransientNameID", sso.ReasonNameIDFormat, func(t *testing.T, b *testBundle) (*browser, string, string) {
			br := &browser{}
			req := b.login(t, br, alice.email, "")
			u := alice
			u.format = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
			return br, b.sp.respond(b.corp, b.assertion(u, req)), ""
		}},
		{"UnverifiedAccountIsNotLinked", sso.ReasonLinkRequiresVerified, func(t *testing.T, b *testBundle) (*browser, string, string) {
			planted := auth.User{ID: uuid.New(), Email: alice.email, PasswordHash: "$argon2id$x", CreatedAt: start, UpdatedAt: start}
			if err := b.db.CreateUser(ctx, planted); err != nil {
				t.Fatal(err)
			}
			b.snapshot = b.counts(t, emails...)
			br := &browser{}
			req := b.login(t, br, alice.email, "")
			return br, b.sp.respond(b.corp, b.assertion(alice, req)), ""
		}},
		{"SignatureRefusedBySP", "signature_invalid", func(t *testing.T, b *testBundle) (*browser, string, string) {
			br := &browser{}
			req := b.login(t, br, alice.email, "")
			forged := b.corp
			forged.Certificates = []string{certC}
			return br, b.sp.respond(forged, b.assertion(alice, req)), ""
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.snapshot = b.counts(t, emails...)
			br, resp, relay := c.attack(t, b)
			before := b.snapshot
			_, err := b.post(br, resp, relay)
			requireRejected(t, err, c.reason)
			if after := b.counts(t, emails...); after != before {
				t.Fatalf("the rejection changed the stores: before %v, after %v", before, after)
			}
		})
	}

	t.Run("RefusedBrowserLeavesTheRequestToItsOwner", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		victim := &browser{}
		req := b.login(t, victim, alice.email, "")
		resp := b.sp.respond(b.corp, b.assertion(alice, req))
		_, err := b.post(&browser{}, resp, "")
		requireRejected(t, err, sso.ReasonOtherBrowser)
		if _, err := b.post(victim, resp, ""); err != nil {
			t.Fatalf("the rightful browser could not finish after a refused attempt: %v", err)
		}
	})
	t.Run("ReplayIsRememberedUntilTheAssertionExpires", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		br := &browser{}
		a := b.assertion(alice, b.login(t, br, alice.email, ""))
		resp := b.sp.respond(b.corp, a)
		if _, err := b.post(br, resp, ""); err != nil {
			t.Fatal(err)
		}
		// Still remembered just before NotOnOrAfter plus the skew; the
		// sweep a new login runs keeps it.
		b.clock.Advance(90*time.Second + 2*time.Minute - time.Second)
		b.login(t, &browser{}, alice.email, "")
		first, err := b.db.RecordSAMLAssertion(ctx, b.corp.EntityID, a.ID, a.NotOnOrAfter, b.clock.Now())
		if err != nil || first {
			t.Fatalf("the assertion ID was forgotten before it expired: first=%v, %v", first, err)
		}
		b.clock.Advance(time.Second)
		if n, err := b.db.DeleteExpiredSAMLState(ctx, b.clock.Now()); err != nil || n != 1 {
			t.Fatalf("sweep at expiry removed %d rows, %v; want the assertion's", n, err)
		}
	})
}
