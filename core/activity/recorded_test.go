package activity_test

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"net/netip"
	"net/url"
	"slices"
	"testing"
	"time"

	"authd/adapters/argon2id"
	"authd/adapters/memory"
	"authd/adapters/totp"
	"authd/core/accounts"
	"authd/core/activity"
	"authd/core/auth"
	"authd/core/mfa"
	"authd/core/session"
	"authd/core/stepup"
	"authd/core/verification"
	"authd/ports"
)

// policy is the accounts rules, as cmd lends them to verification.
type policy struct{ hasher ports.PasswordHasher }

func (policy) NormalizeEmail(raw string) (string, error) { return accounts.NormalizeEmail(raw) }

func (p policy) HashNewPassword(password, email string) (string, error) {
	if err := accounts.CheckPassword(password, email); err != nil {
		return "", err
	}
	return p.hasher.Hash(password)
}

// TestCapabilitiesRecordTheirEvents drives every capability that records
// security events, wired as cmd wires them, and reads back what each
// recorded, with the client of the request.
func TestCapabilitiesRecordTheirEvents(t *testing.T) {
	t.Parallel()
	db := memory.New()
	clock := memory.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	act := activity.New(activity.Deps{Events: db, UA: memory.UAParser{}, Clock: clock, Random: rand.Reader})
	hasher := argon2id.New(argon2id.Params{MemoryKiB: 64, Time: 1, Threads: 1}, 2)
	sessions := session.New(session.Deps{Sessions: db, Users: db, Tx: db, Jobs: db, UA: memory.UAParser{}, Clock: clock,
		Random: rand.Reader, Activity: act}, session.Config{Lifetime: 24 * time.Hour, IdleTimeout: 24 * time.Hour})
	second := mfa.New(mfa.Deps{Store: db, Users: db, Sessions: sessions, TOTP: totp.New("authd.test"), Tx: db,
		Clock: clock, Random: rand.Reader, Activity: act}, mfa.Config{EncryptionKey: make([]byte, 32)})
	acc := accounts.New(accounts.Deps{Users: db, Tx: db, Hasher: hasher, Jobs: db, Sessions: sessions, Clock: clock,
		Random: rand.Reader, SecondFactor: second, Activity: act})
	up := stepup.New(stepup.Deps{Hasher: hasher, Codes: second, Elevator: sessions, Attempts: db, Tx: db, Clock: clock,
		Activity: act}, stepup.Config{MaxAge: 10 * time.Minute})
	app, _ := url.Parse("https://app.example.test")
	verif := verification.New(verification.Deps{Users: db, Verifications: db, Requests: db, Changes: db, Tx: db,
		Jobs: db, Policy: policy{hasher}, Sessions: sessions, Clock: clock, Random: rand.Reader, Activity: act},
		verification.Config{AppURL: app, VerifyTTL: time.Hour, ResetTTL: time.Hour})

	const password, newPassword = "a long enough password", "another long password"
	laptop := auth.Client{IP: netip.MustParseAddr("198.51.100.7"), UserAgent: "laptop"}
	phone := auth.Client{IP: netip.MustParseAddr("192.0.2.4"), UserAgent: "phone"}
	// The HTTP adapter puts the client in every request's context.
	onLaptop := auth.WithClient(context.Background(), laptop)
	onPhone := auth.WithClient(context.Background(), phone)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// want is the events of each step, in order; a step's own events share
	// one instant, so their order among themselves is not the point.
	var want [][]ports.EventKind
	step := func(kinds ...ports.EventKind) {
		clock.Advance(time.Minute) // each step's events after the last's
		want = append(want, slices.Sorted(slices.Values(kinds)))
	}

	u, s1, err := acc.Signup(onLaptop, "frank@example.com", password, laptop)
	must(err)
	step(ports.EventAccountCreated, ports.EventLogin)
	_, _, err = acc.Login(onPhone, "frank@example.com", "wrong password!!", phone)
	if !errors.Is(err, auth.ErrInvalidCredentials) {
		t.Fatal(err)
	}
	step(ports.EventLoginFailed)
	u.EmailVerified = true
	must(db.SetEmailVerified(context.Background(), u.ID, u.Email, clock.Now()))
	enrolled, err := second.Enroll(onLaptop, u)
	must(err)
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(enrolled.Secret)
	must(err)
	_, err = second.Confirm(onLaptop, u.ID, totp.Code(secret, clock.Now()))
	must(err)
	step(ports.EventMFAEnabled)

	_, _, err = acc.Login(onPhone, "frank@example.com", password, phone)
	var challenge *accounts.MFARequiredError
	if !errors.As(err, &challenge) {
		t.Fatalf("login = %v, want a second factor asked for", err)
	}
	_, _, err = second.CompleteLogin(onPhone, challenge.Token, "000000", phone)
	if !errors.Is(err, mfa.ErrLoginCode) {
		t.Fatal(err)
	}
	step(ports.EventLoginFailed)
	clock.Advance(30 * time.Second) // a new TOTP step
	_, s2, err := second.CompleteLogin(onPhone, challenge.Token, totp.Code(secret, clock.Now()), phone)
	must(err)
	step(ports.EventLogin)

	_, err = up.StepUp(onLaptop, s1.Session, u, stepup.Proof{Password: "not the password"})
	if !errors.Is(err, auth.ErrInvalidCredentials) {
		t.Fatal(err)
	}
	step(ports.EventStepUpFailed)
	el, err := up.StepUp(onLaptop, s1.Session, u, stepup.Proof{Password: password})
	must(err)
	step(ports.EventStepUp)
	must(verif.ChangePassword(onLaptop, u.ID, el.Session.Session.ID, newPassword))
	step(ports.EventSessionsRevoked, ports.EventPasswordChanged)
	_, s3, err := second.CompleteLogin(onPhone, mustChallenge(t, acc, onPhone, newPassword, phone), totp.Code(secret, clock.Now()), phone)
	must(err)
	step(ports.EventLogin)
	must(sessions.Revoke(onLaptop, u.ID, s3.Session.ID))
	step(ports.EventSessionRevoked)
	must(second.Disable(onLaptop, u.ID))
	step(ports.EventMFADisabled)
	must(second.Disable(onLaptop, u.ID)) // already off: nothing happens, nothing recorded
	// Single sign-on: its sign-in and its step-up at the IdP end in the
	// session capability, which records them.
	sso, err := sessions.Start(onLaptop, u.ID, laptop, auth.MethodSAML)
	must(err)
	step(ports.EventSSOLogin)
	_, err = sessions.Elevate(onLaptop, sso.Session.ID, auth.MethodSAML)
	must(err)
	step(ports.EventStepUp)
	must(sessions.Logout(onLaptop, el.Session.Session))
	step(ports.EventLogout)
	_ = s2

	events, err := act.Recent(context.Background(), u.ID, activity.MaxLimit)
	must(err)
	var got [][]ports.EventKind
	var last time.Time
	for _, e := range slices.Backward(events) {
		if len(got) == 0 || !e.CreatedAt.Equal(last) {
			got = append(got, nil)
		}
		got[len(got)-1] = append(got[len(got)-1], e.Kind)
		slices.Sort(got[len(got)-1])
		last = e.CreatedAt
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("recorded, oldest first:\n%v\nwant\n%v", got, want)
	}
	for _, e := range events {
		wantIP := laptop.IP
		if e.DeviceName == "phone" {
			wantIP = phone.IP
		}
		if e.IP != wantIP || (e.DeviceName != "laptop" && e.DeviceName != "phone") {
			t.Fatalf("%s was recorded from %v on %q", e.Kind, e.IP, e.DeviceName)
		}
	}
}

// mustChallenge logs in with password up to the second factor and returns
// the mfa_token.
func mustChallenge(t *testing.T, acc *accounts.Service, ctx context.Context, password string, c auth.Client) string {
	t.Helper()
	_, _, err := acc.Login(ctx, "frank@example.com", password, c)
	var challenge *accounts.MFARequiredError
	if !errors.As(err, &challenge) {
		t.Fatalf("login = %v, want a second factor asked for", err)
	}
	return challenge.Token
}
