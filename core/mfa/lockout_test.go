package mfa_test

import (
	"context"
	"crypto/rand"
	"net/url"
	"testing"
	"time"

	"authd/adapters/totp"
	"authd/core/auth"
	"authd/core/mfa"
	"authd/core/throttle"
)

func TestLoginCodesCountTowardTheLockout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	setupLockout := func(t *testing.T) (testBundle, []byte) {
		b := setup(t)
		app, _ := url.Parse("https://app.example.com")
		lockout := throttle.New(throttle.Deps{Store: b.db, Users: b.db, Tx: b.db, Jobs: b.db, Clock: b.clock},
			throttle.Config{Threshold: 3, DelayAfter: 3, AppURL: app})
		b.svc = mfa.New(mfa.Deps{Store: b.db, Users: b.db, Sessions: b.sessions, TOTP: totp.New("authd.test"), Tx: b.db,
			Clock: b.clock, Random: rand.Reader, Lockout: lockout}, mfa.Config{EncryptionKey: key})
		secret, _ := b.enable(t, b.user)
		return b, secret
	}
	challenge := func(t *testing.T, b testBundle) string {
		t.Helper()
		token, required, err := b.svc.Challenge(ctx, b.user.ID)
		if err != nil || !required {
			t.Fatalf("challenge = %v, %v", required, err)
		}
		return token
	}
	t.Run("WrongCodesOnAnyTokenLockTheAccount", func(t *testing.T) {
		t.Parallel()
		b, secret := setupLockout(t)
		first, second := challenge(t, b), challenge(t, b)
		for _, tok := range []string{first, first, second} {
			_, _, err := b.svc.CompleteLogin(ctx, tok, "000000", client)
			wantErr(t, err, mfa.ErrLoginCode)
		}
		b.clock.Advance(30 * time.Second)
		_, _, err := b.svc.CompleteLogin(ctx, challenge(t, b), totp.Code(secret, b.clock.Now()), client)
		wantErr(t, err, auth.ErrRateLimited)
	})
	t.Run("ARightCodeEndsTheRun", func(t *testing.T) {
		t.Parallel()
		b, secret := setupLockout(t)
		for range 2 {
			_, _, err := b.svc.CompleteLogin(ctx, challenge(t, b), "000000", client)
			wantErr(t, err, mfa.ErrLoginCode)
		}
		b.clock.Advance(30 * time.Second)
		if _, _, err := b.svc.CompleteLogin(ctx, challenge(t, b), totp.Code(secret, b.clock.Now()), client); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			_, _, err := b.svc.CompleteLogin(ctx, challenge(t, b), "000000", client)
			wantErr(t, err, mfa.ErrLoginCode)
		}
		b.clock.Advance(30 * time.Second)
		if _, _, err := b.svc.CompleteLogin(ctx, challenge(t, b), totp.Code(secret, b.clock.Now()), client); err != nil {
			t.Fatalf("the third attempt of a new run = %v", err)
		}
	})
}
