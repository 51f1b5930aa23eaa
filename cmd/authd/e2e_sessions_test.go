package main

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"authd/adapters/memory"
	"authd/adapters/postgres/pgtest"
)

// User agents whose device names the uap adapter is known to produce.
const (
	macChrome    = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
	iPhoneSafari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	winFirefox   = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
)

const sessionsPassword = "many devices one account"

// trustLoopback makes the test client a trusted proxy, so each device can
// present its own address in X-Forwarded-For.
var trustLoopback = map[string]string{"AUTHD_TRUSTED_PROXIES": "127.0.0.1/32"}

// startWithClock runs authd on a fresh database with a clock the test moves.
func startWithClock(t *testing.T, env map[string]string) (*instance, *memory.Clock) {
	t.Helper()
	clock := memory.NewClock(time.Now().UTC().Truncate(time.Second))
	ctx := context.WithValue(context.Background(), clockKey{}, clock)
	return startAuthdWith(t, ctx, pgtest.New(t), env), clock
}

// device is a browser behind the trusted proxy at address ip.
func (in *instance) device(userAgent, ip string) *browser {
	b := in.browser(userAgent)
	b.headers["X-Forwarded-For"] = ip
	return b
}

// holding is a fresh browser on in presenting token as its cookie: a stolen
// cookie, or the same device reaching another API process.
func (in *instance) holding(userAgent, token string) *browser {
	b := in.browser(userAgent)
	b.headers["Cookie"] = "authd_session=" + token
	return b
}

// cookie is the session cookie b holds.
func (b *browser) cookie(t *testing.T) string {
	t.Helper()
	req, _ := http.NewRequest("GET", b.in.base, nil)
	for _, c := range b.c.Jar.Cookies(req.URL) {
		if c.Name == "authd_session" {
			return c.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

func (b *browser) login(t *testing.T, email string) string {
	t.Helper()
	resp := b.do("POST", "/v1/login", map[string]any{"email": email, "password": sessionsPassword}).want(t, http.StatusOK)
	return resp.json(t)["session"].(map[string]any)["id"].(string)
}

func (b *browser) signup(t *testing.T, email string) string {
	t.Helper()
	resp := b.do("POST", "/v1/signup", map[string]any{"email": email, "password": sessionsPassword}).want(t, http.StatusCreated)
	return resp.json(t)["session"].(map[string]any)["id"].(string)
}

// sessions lists b's user's sessions.
func (b *browser) sessions(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, s := range b.do("GET", "/v1/sessions", nil).want(t, http.StatusOK).json(t)["sessions"].([]any) {
		out = append(out, s.(map[string]any))
	}
	return out
}

func TestSessionsAcrossDevices(t *testing.T) {
	t.Parallel()
	in, clock := startWithClock(t, trustLoopback)
	laptop := in.device(macChrome, "198.51.100.10")
	phone := in.device(iPhoneSafari, "203.0.113.20")
	laptopID := laptop.signup(t, "traveller@example.com")
	clock.Advance(time.Minute)
	phoneID := phone.login(t, "traveller@example.com")

	list := laptop.sessions(t)
	if len(list) != 2 {
		t.Fatalf("sessions = %v, want two", list)
	}
	// Newest activity first: the phone signed in after the laptop.
	want := []map[string]any{
		{"id": phoneID, "current": false, "device_name": "Safari 17.5 on iPhone", "browser": "Safari", "os": "iOS",
			"device_type": "mobile", "ip": "203.0.113.20", "auth_method": "pwd"},
		{"id": laptopID, "current": true, "device_name": "Chrome 126 on macOS", "browser": "Chrome", "os": "macOS",
			"device_type": "desktop", "ip": "198.51.100.10", "auth_method": "pwd"},
	}
	for i, w := range want {
		for k, v := range w {
			if list[i][k] != v {
				t.Errorf("sessions[%d].%s = %v, want %v", i, k, list[i][k], v)
			}
		}
		created, err1 := time.Parse(time.RFC3339, list[i]["created_at"].(string))
		active, err2 := time.Parse(time.RFC3339, list[i]["last_active_at"].(string))
		expires, err3 := time.Parse(time.RFC3339, list[i]["expires_at"].(string))
		if err1 != nil || err2 != nil || err3 != nil || !expires.Equal(created.Add(30*24*time.Hour)) || active.Before(created) {
			t.Errorf("sessions[%d] times: created %v active %v expires %v", i, created, active, expires)
		}
	}
	if got := phone.sessions(t); got[0]["current"] != true || got[1]["current"] != false {
		t.Fatalf("from the phone, current is wrong: %v", got)
	}

	// A second API process on the same database, to prove revocation is not
	// a per-process cache entry.
	other := startAuthdOn(t, in.db, nil, "serve", "--no-worker", "--no-migrate")
	phoneToken := phone.cookie(t)
	other.holding(iPhoneSafari, phoneToken).do("GET", "/v1/me", nil).want(t, http.StatusOK)

	laptop.do("DELETE", "/v1/sessions/"+phoneID, nil).want(t, http.StatusNoContent)
	other.holding(iPhoneSafari, phoneToken).do("GET", "/v1/me", nil).want(t, http.StatusUnauthorized, "unauthenticated")
	phone.do("GET", "/v1/me", nil).want(t, http.StatusUnauthorized, "unauthenticated")
	laptop.do("DELETE", "/v1/sessions/"+phoneID, nil).want(t, http.StatusNotFound, "not_found")
	laptop.do("GET", "/v1/me", nil).want(t, http.StatusOK)

	// Another user cannot see or end the laptop's session.
	stranger := in.device(winFirefox, "192.0.2.77")
	stranger.signup(t, "stranger@example.com")
	stranger.do("DELETE", "/v1/sessions/"+laptopID, nil).want(t, http.StatusNotFound, "not_found")
	if got := stranger.sessions(t); len(got) != 1 || got[0]["id"] == laptopID {
		t.Fatalf("the stranger sees %v", got)
	}

	// revoke-others ends the phone's fresh session and a tablet's, not the laptop's.
	phone.login(t, "traveller@example.com")
	tablet := in.device(winFirefox, "203.0.113.21")
	tablet.login(t, "traveller@example.com")
	got := laptop.do("POST", "/v1/sessions/revoke-others", nil).want(t, http.StatusOK).json(t)
	if got["revoked"] != float64(2) {
		t.Fatalf("revoke-others = %v, want 2", got)
	}
	phone.do("GET", "/v1/me", nil).want(t, http.StatusUnauthorized, "unauthenticated")
	tablet.do("GET", "/v1/me", nil).want(t, http.StatusUnauthorized, "unauthenticated")
	if list := laptop.sessions(t); len(list) != 1 || list[0]["id"] != laptopID {
		t.Fatalf("after revoke-others: %v", list)
	}

	// Signing in again from the laptop rotates its token: the old cookie dies.
	oldToken := laptop.cookie(t)
	newID := laptop.login(t, "traveller@example.com")
	in.holding(macChrome, oldToken).do("GET", "/v1/me", nil).want(t, http.StatusUnauthorized, "unauthenticated")
	if list := laptop.sessions(t); len(list) != 1 || list[0]["id"] != newID || list[0]["current"] != true {
		t.Fatalf("after signing in again: %v", list)
	}

	// Forward auth takes the cookie and names the user.
	check := laptop.do("GET", "/v1/session/check", nil).want(t, http.StatusOK)
	if check.Header.Get("X-User-Email") != "traveller@example.com" || check.Header.Get("X-Session-Id") != newID ||
		check.Header.Get("X-Email-Verified") != "false" {
		t.Fatalf("check headers = %v", check.Header)
	}
	laptop.do("GET", "/v1/session/check?require=verified", nil).want(t, http.StatusForbidden, "email_unverified")
}

func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	in, clock := startWithClock(t, nil) // default lifetime 30 days, idle timeout 7 days
	start := clock.Now()
	idle := in.browser(macChrome)
	idle.signup(t, "idle@example.com")
	busy := in.browser(iPhoneSafari)
	busy.signup(t, "busy@example.com")

	// Idle: a request just inside the timeout keeps a session alive; a full
	// timeout without one ends it.
	clock.Advance(7*24*time.Hour - time.Second)
	idle.do("GET", "/v1/me", nil).want(t, http.StatusOK)
	busy.do("GET", "/v1/me", nil).want(t, http.StatusOK)
	clock.Advance(4 * 24 * time.Hour)
	busy.do("GET", "/v1/me", nil).want(t, http.StatusOK)
	clock.Advance(3 * 24 * time.Hour)
	idle.do("GET", "/v1/me", nil).want(t, http.StatusUnauthorized, "unauthenticated")

	// Absolute: used every four days, a session still ends 30 days after login.
	for clock.Now().Before(start.Add(29 * 24 * time.Hour)) {
		busy.do("GET", "/v1/me", nil).want(t, http.StatusOK)
		clock.Advance(4 * 24 * time.Hour)
	}
	clock.Advance(start.Add(30*24*time.Hour).Sub(clock.Now()) - time.Second)
	busy.do("GET", "/v1/me", nil).want(t, http.StatusOK)
	clock.Advance(time.Second)
	busy.do("GET", "/v1/me", nil).want(t, http.StatusUnauthorized, "unauthenticated")
}

func TestSpoofedForwardedForIsIgnored(t *testing.T) {
	t.Parallel()
	in := startAuthd(t, nil) // no trusted proxies
	b := in.device(macChrome, "6.6.6.6")
	b.signup(t, "spoof@example.com")
	if list := b.sessions(t); len(list) != 1 || list[0]["ip"] != "127.0.0.1" {
		t.Fatalf("sessions = %v, want the peer address 127.0.0.1", list)
	}
}

func TestNewDeviceAlertJob(t *testing.T) {
	t.Parallel()
	in := startAuthd(t, trustLoopback)
	ctx := context.Background()
	laptop := in.device(macChrome, "198.51.100.10")
	laptop.signup(t, "alerts@example.com")              // the first session: no alert
	laptop.headers["X-Forwarded-For"] = "198.51.100.77" // same device, same /24
	laptop.login(t, "alerts@example.com")               // no alert
	phone := in.device(iPhoneSafari, "203.0.113.20")    // new device, new network
	phoneID := phone.login(t, "alerts@example.com")     // alert
	phone.login(t, "alerts@example.com")                // repeat: no alert
	laptop.headers["X-Forwarded-For"] = "192.0.2.5"     // known device, new network
	roamingID := laptop.login(t, "alerts@example.com")  // alert

	rows, err := in.db.Pool.Query(ctx, `
		SELECT args->>'session_id', state FROM river_job
		WHERE kind = 'send_email' AND args->>'email' = 'new_device' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var alerted []string
	for rows.Next() {
		var id, state string
		if err := rows.Scan(&id, &state); err != nil {
			t.Fatal(err)
		}
		alerted = append(alerted, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(alerted, []string{phoneID, roamingID}) {
		t.Fatalf("new-device jobs for sessions %v, want %v", alerted, []string{phoneID, roamingID})
	}
	// The worker composes them (the composer is wired) and the mailer sends.
	deadline := time.Now().Add(15 * time.Second)
	for {
		var pending int
		err := in.db.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job
			WHERE kind = 'send_email' AND args->>'email' = 'new_device' AND state <> 'completed'`).Scan(&pending)
		if err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d new-device jobs not completed after 15s:\n%s", pending, in.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
