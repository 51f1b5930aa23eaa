package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/jonboulle/clockwork"

	"authd/adapters/postgres/pgtest"
	"authd/adapters/saml/samltest"
	"authd/adapters/smtpmail/smtptest"
)

const samlAdminToken = "e2e-admin-token-0123456789abcdefghij"

// shiftedClock is the real time plus an offset the test sets. It serves
// authd (ports.Clock) and, where a test wants them to agree, the IdP
// (clockwork.Clock) too.
type shiftedClock struct {
	clockwork.Clock // real timers
	mu              sync.Mutex
	off             time.Duration
}

func newShiftedClock() *shiftedClock { return &shiftedClock{Clock: clockwork.NewRealClock()} }

func (c *shiftedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *shiftedClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }
func (c *shiftedClock) Until(t time.Time) time.Duration { return t.Sub(c.Now()) }

// set makes the clock run off from real time.
func (c *shiftedClock) set(off time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off = off
}

// ssoEnv is authd at a public URL known before start, an in-process IdP
// (crewjam/saml) that trusts authd's metadata, and the provider registered
// for corp.example through the admin API from the IdP's metadata.
type ssoEnv struct {
	in       *instance
	idp      *samltest.IdP
	admin    *browser
	provider string // its id
	smtp     *smtptest.Server
	acsURL   string
	entityID string
}

type ssoOptions struct {
	authdClock *shiftedClock     // nil: the real clock
	idpClock   clockwork.Clock   // nil: the real clock
	env        map[string]string // on top of the SSO settings
}

func startSSO(t *testing.T, o ssoOptions) *ssoEnv {
	t.Helper()
	addr := freeAddr(t)
	smtp := smtptest.Start(t)
	// The public URL names the entity ID and ACS in the metadata and every
	// AuthnRequest, so it must be known before start: hence a reserved port.
	env := map[string]string{"AUTHD_ADDR": addr, "AUTHD_PUBLIC_URL": "http://" + addr,
		"AUTHD_ADMIN_TOKEN": samlAdminToken, "AUTHD_ALLOWED_RETURN_ORIGINS": "https://app.example",
		"AUTHD_SMTP_URL": smtp.URL(), "AUTHD_JOB_RETRY_BASE": "20ms"}
	for k, v := range o.env {
		env[k] = v
	}
	ctx := context.Background()
	if o.authdClock != nil {
		ctx = context.WithValue(ctx, clockKey{}, o.authdClock)
	}
	in := startAuthdWith(t, ctx, pgtest.New(t), env)
	public := env["AUTHD_PUBLIC_URL"]
	e := &ssoEnv{in: in, smtp: smtp, acsURL: public + "/v1/saml/acs", entityID: public + "/v1/saml/metadata"}
	e.admin = in.browser("authd-admin/1.0")
	e.admin.headers["Authorization"] = "Bearer " + samlAdminToken

	md := e.admin.do("GET", "/v1/saml/metadata", nil).want(t, http.StatusOK)
	e.idp = samltest.NewIdP(t, samltest.Options{SPMetadata: [][]byte{md.body}, Clock: o.idpClock})
	p := e.admin.do("POST", "/v1/admin/saml/providers", map[string]any{
		"domain": "corp.example", "metadata_xml": string(e.idp.MetadataXML())}).want(t, http.StatusCreated).json(t)
	e.provider = p["id"].(string)
	return e
}

// browserFor is a browser whose failures stop t (a subtest's own).
func (e *ssoEnv) browserFor(t *testing.T, ua string) *browser {
	b := e.in.browser(ua)
	b.t = t
	return b
}

// startLogin is GET /v1/sso/saml/login; it returns the IdP redirect.
func (e *ssoEnv) startLogin(t *testing.T, b *browser, query string) string {
	t.Helper()
	resp := b.do("GET", "/v1/sso/saml/login?"+query, nil).want(t, http.StatusFound)
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, e.idp.SSOURL()+"?") {
		t.Fatalf("redirect to %q, want the IdP's SSO URL %s", loc, e.idp.SSOURL())
	}
	return loc
}

// login runs the browser's side of an SP-initiated login up to the IdP's
// answer, which it returns unposted.
func (e *ssoEnv) login(t *testing.T, b *browser, u samltest.User) samltest.Post {
	t.Helper()
	post := e.idp.Respond(t, e.startLogin(t, b, "domain=corp.example"), u)
	if post.URL != e.acsURL {
		t.Fatalf("the IdP posts to %q, want the ACS %s", post.URL, e.acsURL)
	}
	return post
}

// postACS is the IdP's auto-submitted form, posted by the browser from the
// IdP's origin, as a real browser sends it (cross-site).
func (e *ssoEnv) postACS(t *testing.T, b *browser, samlResponse, relayState string) response {
	t.Helper()
	form := url.Values{"SAMLResponse": {samlResponse}}
	if relayState != "" {
		form.Set("RelayState", relayState)
	}
	req, err := http.NewRequest(http.MethodPost, e.in.base+"/v1/saml/acs", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	idp, _ := url.Parse(e.idp.SSOURL())
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", b.userAgent)
	req.Header.Set("Origin", idp.Scheme+"://"+idp.Host)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatalf("POST /v1/saml/acs: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	checkAgainstSpec(t, resp, raw)
	return response{Response: resp, body: raw}
}

// wantRejected checks a 403 saml_rejected with reason.
func wantRejected(t *testing.T, r response, reason string) {
	t.Helper()
	doc := r.want(t, http.StatusForbidden, "saml_rejected").json(t)
	if doc["reason"] != reason {
		t.Fatalf("reason = %v, want %s\n%s", doc["reason"], reason, r.body)
	}
}

// count is a row count, for proving that a refusal created nothing.
func (e *ssoEnv) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := e.in.db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

type rowCounts struct{ users, sessions, identities int }

func (e *ssoEnv) rows(t *testing.T) rowCounts {
	t.Helper()
	return rowCounts{e.count(t, "users"), e.count(t, "device_sessions"), e.count(t, "saml_identities")}
}

func cookieValue(b *browser, base, name string) string {
	u, _ := url.Parse(base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// setCookie returns the response's Set-Cookie named name.
func setCookie(t *testing.T, r response, name string) *http.Cookie {
	t.Helper()
	for _, c := range r.Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("%s %s set no %s cookie", r.Request.Method, r.Request.URL.Path, name)
	return nil
}

// authnRequest decodes the redirect binding's SAMLRequest.
func authnRequest(t *testing.T, redirect string) *etree.Element {
	t.Helper()
	u, err := url.Parse(redirect)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("SigAlg") != "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" || q.Get("Signature") == "" {
		t.Fatalf("the AuthnRequest is not signed with rsa-sha256: SigAlg %q", q.Get("SigAlg"))
	}
	return samltest.DecodeRedirect(t, redirect)
}

var alice = samltest.User{NameID: "alice-7f3a", Email: "alice@corp.example"}

func TestSAMLSingleSignOn(t *testing.T) {
	t.Parallel()
	clock := newShiftedClock()
	// One clock for authd and the IdP: the step-up below moves time for both.
	e := startSSO(t, ssoOptions{authdClock: clock, idpClock: clock})
	ctx := context.Background()
	const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

	// An account made with a password before SSO was enforced.
	bob := e.browserFor(t, firefox)
	bob.do("POST", "/v1/signup", map[string]any{"email": "bob@corp.example", "password": "bob's long password"}).
		want(t, http.StatusCreated)

	laptop := e.browserFor(t, firefox)
	var aliceID, aliceToken string
	t.Run("FirstLoginProvisionsTheUser", func(t *testing.T) {
		redirect := e.startLogin(t, laptop, "email=alice%40corp.example&return_to=%2Fwelcome")
		req := authnRequest(t, redirect)
		if req.SelectAttrValue("ForceAuthn", "false") != "false" || req.SelectAttrValue("AssertionConsumerServiceURL", "") != e.acsURL {
			t.Fatalf("AuthnRequest ForceAuthn %q ACS %q", req.SelectAttrValue("ForceAuthn", ""), req.SelectAttrValue("AssertionConsumerServiceURL", ""))
		}
		post := e.idp.Respond(t, redirect, alice)
		resp := e.postACS(t, laptop, post.SAMLResponse, post.RelayState).want(t, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != "/welcome" {
			t.Fatalf("ACS redirects to %q, want /welcome", loc)
		}
		if c := setCookie(t, resp, "authd_saml"); c.MaxAge >= 0 {
			t.Fatalf("the binding cookie was not deleted at the ACS: %v", c)
		}
		session := setCookie(t, resp, "authd_session")
		if !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
			t.Fatalf("session cookie %v", session)
		}
		me := laptop.do("GET", "/v1/me", nil).want(t, http.StatusOK).json(t)
		if me["email"] != alice.Email || me["email_verified"] != true || me["has_password"] != false {
			t.Fatalf("/v1/me = %v; want a verified user without a password", me)
		}
		aliceID, aliceToken = me["id"].(string), cookieValue(laptop, e.in.base, "authd_session")
		var method string
		var amr []string
		if err := e.in.db.Pool.QueryRow(ctx, `SELECT auth_method, amr FROM device_sessions WHERE user_id = $1`, aliceID).
			Scan(&method, &amr); err != nil || method != "saml" || !slices.Equal(amr, []string{"saml"}) {
			t.Fatalf("session auth_method %q amr %v, %v; want saml", method, amr, err)
		}
		if n := e.count(t, "saml_identities"); n != 1 {
			t.Fatalf("%d identities, want 1", n)
		}
	})

	var secondPost samltest.Post
	t.Run("SecondLoginFindsTheSameUser", func(t *testing.T) {
		phone := e.browserFor(t, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148")
		users := e.count(t, "users")
		secondPost = e.login(t, phone, alice)
		e.postACS(t, phone, secondPost.SAMLResponse, "").want(t, http.StatusSeeOther)
		me := phone.do("GET", "/v1/me", nil).want(t, http.StatusOK).json(t)
		if me["id"] != aliceID || e.count(t, "users") != users || e.count(t, "saml_identities") != 1 {
			t.Fatalf("second login: user %v (want %s), users %d→%d", me["id"], aliceID, users, e.count(t, "users"))
		}
	})

	t.Run("ReplayedResponseIsRejected", func(t *testing.T) {
		before := e.rows(t)
		// The same browser even, with a fresh login pending.
		phone := e.browserFor(t, "replayer")
		e.startLogin(t, phone, "domain=corp.example")
		wantRejected(t, e.postACS(t, phone, secondPost.SAMLResponse, ""), "replayed")
		if after := e.rows(t); after != before {
			t.Fatalf("a replay changed the rows: %+v → %+v", before, after)
		}
	})

	t.Run("VerifiedAccountIsLinkedAndTheUserTold", func(t *testing.T) {
		carol := e.browserFor(t, firefox)
		carol.do("POST", "/v1/signup", map[string]any{"email": "carol@corp.example", "password": "carol's long password"}).
			want(t, http.StatusCreated)
		user := samltest.User{NameID: "carol-9b1c", Email: "carol@corp.example"}
		before := e.rows(t)
		post := e.login(t, e.browserFor(t, firefox), user)
		wantRejected(t, e.postACS(t, e.browserFor(t, firefox), post.SAMLResponse, ""), "request_of_another_browser")
		sso := e.browserFor(t, firefox)
		post = e.login(t, sso, user)
		wantRejected(t, e.postACS(t, sso, post.SAMLResponse, ""), "link_requires_verified_email")
		if after := e.rows(t); after != before {
			t.Fatalf("refusals changed the rows: %+v → %+v", before, after)
		}
		e.in.verifyByHand(t, "carol@corp.example")
		post = e.login(t, sso, user)
		e.postACS(t, sso, post.SAMLResponse, "").want(t, http.StatusSeeOther)
		me := sso.do("GET", "/v1/me", nil).want(t, http.StatusOK).json(t)
		if me["email"] != "carol@corp.example" || me["has_password"] != true {
			t.Fatalf("SSO signed in as %v, want carol's existing account", me)
		}
		m := waitEmail(t, e.smtp, "carol@corp.example", "A new sign-in method was added to your authd account")
		if !strings.Contains(m.Text, "corp.example was just linked") {
			t.Fatalf("linked email:\n%s", m.Text)
		}
	})

	t.Run("EnforcedSSOBlocksPasswordLoginAndSignup", func(t *testing.T) {
		d := bob.do("POST", "/v1/sso/discover", map[string]any{"email": "bob@corp.example"}).want(t, http.StatusOK).json(t)
		if d["sso"] != true || d["required"] == true || !strings.HasSuffix(d["login_url"].(string), "/v1/sso/saml/login?domain=corp.example") {
			t.Fatalf("discover = %v", d)
		}
		e.admin.do("PATCH", "/v1/admin/saml/providers/"+e.provider, map[string]any{"enforce_sso": true}).want(t, http.StatusOK)
		d = bob.do("POST", "/v1/sso/discover", map[string]any{"email": "bob@corp.example"}).want(t, http.StatusOK).json(t)
		if d["required"] != true {
			t.Fatalf("discover after enforcing = %v", d)
		}
		bob.do("POST", "/v1/login", map[string]any{"email": "bob@corp.example", "password": "bob's long password"}).
			want(t, http.StatusForbidden, "sso_required")
		bob.do("POST", "/v1/login", map[string]any{"email": "BOB@corp.example", "password": "a wrong password"}).
			want(t, http.StatusForbidden, "sso_required")
		bob.do("POST", "/v1/signup", map[string]any{"email": "dave@corp.example", "password": "dave's long password"}).
			want(t, http.StatusForbidden, "sso_required")
		bob.do("POST", "/v1/signup", map[string]any{"email": "dave@elsewhere.example", "password": "dave's long password"}).
			want(t, http.StatusCreated)
		none := bob.do("POST", "/v1/sso/discover", map[string]any{"email": "dave@elsewhere.example"}).want(t, http.StatusOK).json(t)
		if none["sso"] != false {
			t.Fatalf("discover for a domain without a provider = %v", none)
		}
	})

	t.Run("StepUpThroughForceAuthnElevatesTheSession", func(t *testing.T) {
		clock.set(11 * time.Minute) // the login is no longer recent
		stale := laptop.do("GET", "/v1/session/check?require=recent_auth", nil).want(t, http.StatusForbidden, "step_up_required").json(t)
		if methods, _ := stale["methods"].([]any); !slices.Contains(methods, any("saml")) {
			t.Fatalf("step-up methods %v, want saml offered", stale["methods"])
		}
		resp := laptop.do("GET", "/v1/step-up/saml?return_to=%2Fsettings", nil).want(t, http.StatusFound)
		redirect := resp.Header.Get("Location")
		if v := authnRequest(t, redirect).SelectAttrValue("ForceAuthn", ""); v != "true" {
			t.Fatalf("step-up AuthnRequest ForceAuthn = %q, want true", v)
		}
		post := e.idp.Respond(t, redirect, alice)
		acs := e.postACS(t, laptop, post.SAMLResponse, "").want(t, http.StatusSeeOther)
		if loc := acs.Header.Get("Location"); loc != "/settings" {
			t.Fatalf("ACS redirects to %q, want /settings", loc)
		}
		rotated := setCookie(t, acs, "authd_session").Value
		if rotated == aliceToken {
			t.Fatal("the step-up did not rotate the session token")
		}
		check := laptop.do("GET", "/v1/session/check?require=recent_auth", nil).want(t, http.StatusOK)
		if check.Header.Get("X-User-Id") != aliceID || check.Header.Get("X-Auth-Method") != "saml" {
			t.Fatalf("elevated session is %s (%s)", check.Header.Get("X-User-Id"), check.Header.Get("X-Auth-Method"))
		}
		old := e.browserFor(t, "copied token")
		old.headers["Authorization"] = "Bearer " + aliceToken
		old.do("GET", "/v1/me", nil).want(t, http.StatusUnauthorized, "unauthenticated")
		var sessions int
		if err := e.in.db.Pool.QueryRow(ctx, `SELECT count(*) FROM device_sessions WHERE user_id = $1 AND revoked_at IS NULL`, aliceID).
			Scan(&sessions); err != nil || sessions != 2 {
			t.Fatalf("alice has %d live sessions, %v; want her laptop and phone, no new one", sessions, err)
		}
	})
	t.Run("StepUpNeedsASAMLIdentity", func(t *testing.T) {
		other := e.browserFor(t, firefox)
		other.do("POST", "/v1/signup", map[string]any{"email": "erin@elsewhere.example", "password": "erin's long password"}).
			want(t, http.StatusCreated)
		other.do("GET", "/v1/step-up/saml", nil).want(t, http.StatusNotFound, "no_sso_provider")
	})
}
