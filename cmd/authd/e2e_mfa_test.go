package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"authd/adapters/memory"
	"authd/adapters/postgres/pgtest"
	"authd/adapters/totp"
)

const mfaPassword = "second factor first class"

// startMFA runs authd with a clock the test moves, so that TOTP codes are
// computed for the server's "now" and the step-up window can be crossed
// without sleeping.
func startMFA(t *testing.T, db pgtest.DB, env map[string]string) (*instance, *memory.Clock) {
	t.Helper()
	clock := memory.NewClock(time.Now().UTC().Truncate(time.Second))
	return startAuthdWith(t, context.WithValue(context.Background(), clockKey{}, clock), db, env), clock
}

// verifyByHand marks the address verified in the database: the verification
// email's flow is tested on its own, and TOTP needs only its outcome.
func (in *instance) verifyByHand(t *testing.T, email string) {
	t.Helper()
	// Through the API, with a token planted where the worker would have put
	// one, so the program sees its own write at once (an UPDATE behind its
	// back would reach its session cache only by notification). The worker
	// may mint the signup's own token meanwhile and void ours: then again.
	b := in.browser("verify-by-hand")
	for range 20 {
		token := base64.RawURLEncoding.EncodeToString(randomBytes(t, 32))
		hash := sha256.Sum256([]byte(token))
		// Two statements: in one, a CTE's DELETE would not make room for the INSERT.
		err := pgx.BeginFunc(context.Background(), in.db.Pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(context.Background(), `DELETE FROM email_verifications WHERE purpose = 'verify_email'
				AND used_at IS NULL AND user_id = (SELECT id FROM users WHERE lower(email) = lower($1))`, email); err != nil {
				return err
			}
			_, err := tx.Exec(context.Background(), `
				INSERT INTO email_verifications (id, user_id, token_hash, email, purpose, expires_at, created_at)
				SELECT gen_random_uuid(), id, $2, email, 'verify_email', now() + interval '100 years', now()
				FROM users WHERE lower(email) = lower($1)`, email, hash[:])
			return err
		})
		if err != nil {
			t.Logf("verify by hand: %v", err)
			continue // the worker's token won the unique index: try again
		}
		resp := b.do("POST", "/v1/email/verify", map[string]any{"token": token})
		if resp.StatusCode == http.StatusOK {
			return
		}
		t.Logf("verify by hand: %d %s", resp.StatusCode, resp.body)
	}
	t.Fatalf("could not verify %s", email)
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// enableTOTP enrolls and confirms with a code computed here, as the user's
// app would, and returns the raw secret and the recovery codes.
func enableTOTP(t *testing.T, b *browser, clock *memory.Clock) ([]byte, []string) {
	t.Helper()
	enrolled := b.do("POST", "/v1/mfa/totp/enroll", nil).want(t, http.StatusOK).json(t)
	encoded := enrolled["secret"].(string)
	if !strings.HasPrefix(enrolled["otpauth_url"].(string), "otpauth://totp/") {
		t.Fatalf("otpauth_url = %v", enrolled["otpauth_url"])
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(encoded)
	if err != nil {
		t.Fatalf("secret %q: %v", encoded, err)
	}
	b.do("POST", "/v1/mfa/totp/confirm", map[string]any{"code": "000000"}).want(t, http.StatusBadRequest, "invalid_code")
	resp := b.do("POST", "/v1/mfa/totp/confirm", map[string]any{"code": totp.Code(secret, clock.Now())}).
		want(t, http.StatusOK).json(t)
	var codes []string
	for _, c := range resp["recovery_codes"].([]any) {
		codes = append(codes, c.(string))
	}
	if len(codes) != 10 {
		t.Fatalf("recovery codes = %v, want 10", codes)
	}
	return secret, codes
}

// wantStepUp checks a 403 step_up_required and its extra members.
func wantStepUp(t *testing.T, r response, methods ...string) {
	t.Helper()
	doc := r.want(t, http.StatusForbidden, "step_up_required").json(t)
	var got []string
	for _, m := range doc["methods"].([]any) {
		got = append(got, m.(string))
	}
	if !slices.Equal(got, methods) || doc["max_age_seconds"] != float64(600) {
		t.Fatalf("step_up_required members = %v, max_age_seconds %v; want %v, 600", got, doc["max_age_seconds"], methods)
	}
}

func sessionToken(t *testing.T, doc map[string]any) string {
	t.Helper()
	tok, _ := doc["session"].(map[string]any)["session_token"].(string)
	if len(tok) != 43 {
		t.Fatalf("session_token %q in %v", tok, doc)
	}
	return tok
}

// TestTOTPLoginAndStepUp is the whole story in a browser: enroll, confirm
// with a code computed in the test, log out, log in with the second factor,
// step up with TOTP, change the password, and be asked again once the
// window has passed.
func TestTOTPLoginAndStepUp(t *testing.T) {
	t.Parallel()
	in, clock := startMFA(t, pgtest.New(t), nil)
	b := in.browser(macChrome)
	const email = "grace@example.com"
	b.do("POST", "/v1/signup", map[string]any{"email": email, "password": mfaPassword}).want(t, http.StatusCreated)
	b.do("POST", "/v1/mfa/totp/enroll", nil).want(t, http.StatusForbidden, "email_unverified")
	in.verifyByHand(t, email)

	secret, _ := enableTOTP(t, b, clock)
	b.do("POST", "/v1/mfa/totp/enroll", nil).want(t, http.StatusConflict, "already_enrolled")
	if me := b.do("GET", "/v1/me", nil).want(t, http.StatusOK).json(t); me["mfa"].(map[string]any)["totp"] != true {
		t.Fatalf("/v1/me mfa = %v, want totp true", me["mfa"])
	}
	b.do("POST", "/v1/logout", nil).want(t, http.StatusNoContent)

	// The password alone is half a login.
	resp := b.do("POST", "/v1/login", map[string]any{"email": email, "password": mfaPassword}).want(t, http.StatusOK)
	half := resp.json(t)
	token, _ := half["mfa_token"].(string)
	if half["mfa_required"] != true || len(token) != 43 || half["session"] != nil || len(resp.Cookies()) != 0 {
		t.Fatalf("login = %v, cookies %v; want mfa_required, an mfa_token and no session", half, resp.Cookies())
	}
	b.do("GET", "/v1/me", nil).want(t, http.StatusUnauthorized, "unauthenticated")
	b.do("POST", "/v1/login/mfa", map[string]any{"mfa_token": token, "code": "000000"}).
		want(t, http.StatusUnauthorized, "invalid_code")
	clock.Advance(totp.Period) // the confirming code's step is spent
	done := b.do("POST", "/v1/login/mfa", map[string]any{"mfa_token": token, "code": totp.Code(secret, clock.Now())}).
		want(t, http.StatusOK).json(t)
	if done["user"].(map[string]any)["mfa"].(map[string]any)["totp"] != true {
		t.Fatalf("login/mfa user = %v", done["user"])
	}
	b.do("POST", "/v1/login/mfa", map[string]any{"mfa_token": token, "code": totp.Code(secret, clock.Now())}).
		want(t, http.StatusUnauthorized, "invalid_mfa_token")

	current := b.do("GET", "/v1/sessions", nil).want(t, http.StatusOK).json(t)["sessions"].([]any)[0].(map[string]any)
	if current["aal"] != "aal2" || !slices.Equal(toStrings(current["amr"]), []string{"pwd", "otp"}) || current["auth_method"] != "pwd" {
		t.Fatalf("session after login/mfa = %v, want amr [pwd otp], aal2", current)
	}
	check := b.do("GET", "/v1/session/check?require=recent_auth", nil).want(t, http.StatusOK)
	if check.Header.Get("X-AAL") != "aal2" || check.Header.Get("X-AMR") != "pwd,otp" {
		t.Fatalf("check headers: aal %q amr %q", check.Header.Get("X-AAL"), check.Header.Get("X-AMR"))
	}

	// Past the window, the step-up routes ask again.
	clock.Advance(10*time.Minute + time.Second)
	wantStepUp(t, b.do("GET", "/v1/session/check?require=recent_auth", nil), "password", "totp")
	wantStepUp(t, b.do("DELETE", "/v1/mfa/totp", nil), "password", "totp")
	b.do("POST", "/v1/step-up", map[string]any{"password": "not my password"}).want(t, http.StatusUnauthorized, "invalid_credentials")

	before := b.cookie(t)
	up := b.do("POST", "/v1/step-up", map[string]any{"totp_code": totp.Code(secret, clock.Now())}).want(t, http.StatusOK).json(t)
	if up["elevated_until"] != clock.Now().Add(10*time.Minute).Format(time.RFC3339) || up["session_token"] != nil {
		t.Fatalf("step-up = %v, want elevated_until now+10m and the token in the cookie only", up)
	}
	if after := b.cookie(t); after == before {
		t.Fatal("the step-up did not rotate the session cookie")
	}
	stale := in.browser(macChrome)
	stale.headers["Cookie"] = "authd_session=" + before
	stale.do("GET", "/v1/me", nil).want(t, http.StatusUnauthorized, "unauthenticated")
	b.do("GET", "/v1/session/check?require=recent_auth", nil).want(t, http.StatusOK)

	const newPassword = "a fresh passphrase for grace"
	b.do("POST", "/v1/password/change", map[string]any{"new_password": newPassword}).want(t, http.StatusNoContent)

	clock.Advance(10 * time.Minute) // elevated_until itself is past the window
	wantStepUp(t, b.do("POST", "/v1/password/change", map[string]any{"new_password": "yet another passphrase"}),
		"password", "totp")
	b.do("POST", "/v1/step-up", map[string]any{"password": mfaPassword}).want(t, http.StatusUnauthorized, "invalid_credentials")
	b.do("POST", "/v1/step-up", map[string]any{"password": newPassword}).want(t, http.StatusOK)
	b.do("DELETE", "/v1/mfa/totp", nil).want(t, http.StatusNoContent) // the TOTP routes take the same gate
	if me := b.do("GET", "/v1/me", nil).want(t, http.StatusOK).json(t); me["mfa"].(map[string]any)["totp"] != false {
		t.Fatalf("/v1/me mfa after disable = %v", me["mfa"])
	}
	clock.Advance(10 * time.Minute)
	wantStepUp(t, b.do("DELETE", "/v1/mfa/totp", nil), "password")
}

// TestTOTPForAPIClients runs the same flow with Bearer tokens and recovery
// codes: the rotated token comes back in the step-up's body.
func TestTOTPForAPIClients(t *testing.T) {
	t.Parallel()
	in, clock := startMFA(t, pgtest.New(t), nil)
	cli := in.browser("curl/8.5.0")
	const email = "api-mfa@example.com"
	signup := cli.do("POST", "/v1/signup", map[string]any{"email": email, "password": mfaPassword, "return_token": true}).
		want(t, http.StatusCreated).json(t)
	in.verifyByHand(t, email)
	cli.headers["Authorization"] = "Bearer " + sessionToken(t, signup)
	secret, codes := enableTOTP(t, cli, clock)
	delete(cli.headers, "Authorization")

	login := func() string {
		t.Helper()
		doc := cli.do("POST", "/v1/login", map[string]any{"email": email, "password": mfaPassword, "return_token": true}).
			want(t, http.StatusOK).json(t)
		return doc["mfa_token"].(string)
	}
	// Five wrong codes void the token, even for the right sixth.
	voided := login()
	for range 5 {
		cli.do("POST", "/v1/login/mfa", map[string]any{"mfa_token": voided, "code": "000000"}).
			want(t, http.StatusUnauthorized, "invalid_code")
	}
	clock.Advance(totp.Period)
	cli.do("POST", "/v1/login/mfa", map[string]any{"mfa_token": voided, "code": totp.Code(secret, clock.Now())}).
		want(t, http.StatusUnauthorized, "invalid_mfa_token")

	// A recovery code completes a login once.
	resp := cli.do("POST", "/v1/login/mfa", map[string]any{"mfa_token": login(), "code": codes[0], "return_token": true}).
		want(t, http.StatusOK)
	if len(resp.Cookies()) != 0 {
		t.Fatalf("return_token set a cookie: %v", resp.Cookies())
	}
	token := sessionToken(t, resp.json(t))
	cli.do("POST", "/v1/login/mfa", map[string]any{"mfa_token": login(), "code": codes[0]}).
		want(t, http.StatusUnauthorized, "invalid_code")

	cli.headers["Authorization"] = "Bearer " + token
	clock.Advance(time.Hour)
	wantStepUp(t, cli.do("POST", "/v1/mfa/totp/enroll", nil), "password", "totp")
	up := cli.do("POST", "/v1/step-up", map[string]any{"recovery_code": codes[1]}).want(t, http.StatusOK).json(t)
	rotated, _ := up["session_token"].(string)
	if len(rotated) != 43 || rotated == token {
		t.Fatalf("step-up over Bearer = %v, want a new session_token", up)
	}
	cli.do("GET", "/v1/me", nil).want(t, http.StatusUnauthorized, "unauthenticated")
	cli.headers["Authorization"] = "Bearer " + rotated
	cli.do("POST", "/v1/mfa/totp/enroll", nil).want(t, http.StatusConflict, "already_enrolled") // past the step-up gate

	// Wrong step-ups are rate limited per session.
	for range 5 {
		cli.do("POST", "/v1/step-up", map[string]any{"recovery_code": "aaaa-bbbb-cccc"}).
			want(t, http.StatusUnauthorized, "invalid_credentials")
	}
	limited := cli.do("POST", "/v1/step-up", map[string]any{"recovery_code": codes[2]}).want(t, http.StatusTooManyRequests, "rate_limited")
	if limited.Header.Get("Retry-After") != "900" {
		t.Fatalf("Retry-After = %q, want 900", limited.Header.Get("Retry-After"))
	}
}

// TestEncryptionKey covers both sources of the key that seals TOTP secrets.
func TestEncryptionKey(t *testing.T) {
	t.Parallel()
	t.Run("UnsetGeneratesOneKeyThatEveryProcessShares", func(t *testing.T) {
		t.Parallel()
		db := pgtest.New(t)
		first, clock := startMFA(t, db, nil)
		if !strings.Contains(first.logs.String(), `"level":"WARN","msg":"AUTHD_ENCRYPTION_KEY unset; using a generated key stored in the database`) {
			t.Fatalf("no warning about the generated key:\n%s", first.logs)
		}
		b := first.browser(macChrome)
		b.do("POST", "/v1/signup", map[string]any{"email": "shared@example.com", "password": mfaPassword}).want(t, http.StatusCreated)
		first.verifyByHand(t, "shared@example.com")
		secret, _ := enableTOTP(t, b, clock)

		// Another process on the same database opens what the first sealed.
		second := startAuthdWith(t, context.WithValue(context.Background(), clockKey{}, clock), db, nil)
		other := second.browser(winFirefox)
		doc := other.do("POST", "/v1/login", map[string]any{"email": "shared@example.com", "password": mfaPassword}).
			want(t, http.StatusOK).json(t)
		clock.Advance(totp.Period)
		other.do("POST", "/v1/login/mfa", map[string]any{"mfa_token": doc["mfa_token"], "code": totp.Code(secret, clock.Now())}).
			want(t, http.StatusOK)
		var n int
		if err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM instance_secrets WHERE length(value) = 32`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("instance_secrets rows = %d, %v; want one 32-byte key", n, err)
		}
	})
	t.Run("SetIsUsedAndNothingIsStored", func(t *testing.T) {
		t.Parallel()
		db := pgtest.New(t)
		in, _ := startMFA(t, db, map[string]string{"AUTHD_ENCRYPTION_KEY": "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80="})
		if strings.Contains(in.logs.String(), "AUTHD_ENCRYPTION_KEY unset") {
			t.Fatal("warned about an unset key that was set")
		}
		var n int
		if err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM instance_secrets WHERE name = 'encryption_key'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("instance_secrets rows = %d, %v; want none", n, err)
		}
	})
	t.Run("MalformedIsAConfigError", func(t *testing.T) {
		t.Parallel()
		for _, bad := range []string{"not base64 at all!", "c2hvcnQ=", strings.Repeat("A", 64)} {
			_, err := loadConfig(func(k string) string {
				return map[string]string{"AUTHD_ENCRYPTION_KEY": bad}[k]
			})
			var ce *configError
			if !errors.As(err, &ce) || ce.name != "AUTHD_ENCRYPTION_KEY" {
				t.Errorf("%q: %v, want a configError naming AUTHD_ENCRYPTION_KEY", bad, err)
			}
		}
		// Standard padded, standard unpadded, URL alphabet: key generators differ.
		for _, good := range []string{"q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=", "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80",
			"_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-8="} {
			c, err := loadConfig(func(k string) string { return map[string]string{"AUTHD_ENCRYPTION_KEY": good}[k] })
			if err != nil || len(c.EncryptionKey) != 32 {
				t.Errorf("%q: %v, key %d bytes", good, err, len(c.EncryptionKey))
			}
		}
	})
	t.Run("StepUpMaxAgeDefaultsToTenMinutes", func(t *testing.T) {
		t.Parallel()
		c, err := loadConfig(func(string) string { return "" })
		if err != nil || c.StepUpMaxAge != 10*time.Minute || c.EncryptionKey != nil {
			t.Fatalf("defaults: max age %v, key %v, %v", c.StepUpMaxAge, c.EncryptionKey, err)
		}
		_, err = loadConfig(func(k string) string { return map[string]string{"AUTHD_STEP_UP_MAX_AGE": "0s"}[k] })
		var ce *configError
		if !errors.As(err, &ce) || ce.name != "AUTHD_STEP_UP_MAX_AGE" {
			t.Fatalf("AUTHD_STEP_UP_MAX_AGE=0s: %v", err)
		}
	})
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
