package mfa_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/adapters/memory"
	"authd/adapters/totp"
	"authd/core/auth"
	"authd/core/mfa"
	"authd/core/session"
)

type testBundle struct {
	db       *memory.DB
	clock    *memory.Clock
	svc      *mfa.Service
	sessions *session.Service
	user     auth.User
}

var key = bytes.Repeat([]byte{7}, 32)

func newService(db *memory.DB, clock *memory.Clock, sessions *session.Service, key []byte) *mfa.Service {
	return mfa.New(mfa.Deps{Store: db, Users: db, Sessions: sessions, TOTP: totp.New("authd.test"), Tx: db,
		Clock: clock, Random: rand.Reader}, mfa.Config{EncryptionKey: key})
}

func setup(t *testing.T) testBundle {
	t.Helper()
	db := memory.New()
	// On a step boundary, so "one step later" is exactly 30 seconds.
	clock := memory.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	sessions := session.New(session.Deps{Sessions: db, Users: db, Tx: db, Jobs: db, UA: memory.UAParser{},
		Clock: clock, Random: rand.Reader}, session.Config{Lifetime: 24 * time.Hour, IdleTimeout: time.Hour})
	b := testBundle{db: db, clock: clock, sessions: sessions, svc: newService(db, clock, sessions, key)}
	b.user = b.newUser(t, "ada@example.com")
	return b
}

func (b testBundle) newUser(t *testing.T, email string) auth.User {
	t.Helper()
	u := auth.User{ID: uuid.New(), Email: email, EmailVerified: true, PasswordHash: "$argon2id$stub",
		CreatedAt: b.clock.Now(), UpdatedAt: b.clock.Now()}
	if err := b.db.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// enroll starts enrollment and returns the raw secret, as an app would read
// it from the base32 form.
func (b testBundle) enroll(t *testing.T, u auth.User) []byte {
	t.Helper()
	e, err := b.svc.Enroll(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(e.Secret)
	if err != nil {
		t.Fatalf("secret %q is not base32: %v", e.Secret, err)
	}
	if !strings.HasPrefix(e.URL, "otpauth://totp/") || !strings.Contains(e.URL, "secret="+e.Secret) {
		t.Fatalf("otpauth URL = %s", e.URL)
	}
	return secret
}

// enable enrolls and confirms with the current code; the current step is
// then used.
func (b testBundle) enable(t *testing.T, u auth.User) (secret []byte, recovery []string) {
	t.Helper()
	secret = b.enroll(t, u)
	recovery, err := b.svc.Confirm(context.Background(), u.ID, totp.Code(secret, b.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return secret, recovery
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

var client = auth.Client{UserAgent: "test"}

var recoveryShape = regexp.MustCompile(`^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$`)

func TestEnrollment(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("ConfirmWithAValidCodeTurnsItOnAndGivesTenRecoveryCodes", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		secret := b.enroll(t, b.user)
		if on, _ := b.svc.TOTPEnabled(ctx, b.user.ID); on {
			t.Fatal("TOTP is on before its first code")
		}
		codes, err := b.svc.Confirm(ctx, b.user.ID, totp.Code(secret, b.clock.Now()))
		if err != nil {
			t.Fatal(err)
		}
		if len(codes) != 10 || len(slices.Compact(slices.Sorted(slices.Values(codes)))) != 10 {
			t.Fatalf("recovery codes = %v, want 10 distinct", codes)
		}
		for _, c := range codes {
			if !recoveryShape.MatchString(c) {
				t.Fatalf("recovery code %q is not xxxx-xxxx-xxxx in lowercase base32", c)
			}
		}
		if on, err := b.svc.TOTPEnabled(ctx, b.user.ID); !on || err != nil {
			t.Fatalf("TOTPEnabled = %v, %v after confirmation", on, err)
		}
		if n, _ := b.svc.RecoveryCodesLeft(ctx, b.user.ID); n != 10 {
			t.Fatalf("recovery codes left = %d, want 10", n)
		}
		_, err = b.svc.Enroll(ctx, b.user)
		wantErr(t, err, auth.ErrAlreadyEnrolled)
		_, err = b.svc.Confirm(ctx, b.user.ID, totp.Code(secret, b.clock.Now().Add(totp.Period)))
		wantErr(t, err, auth.ErrAlreadyEnrolled)
	})
	t.Run("WrongCodeDoesNotConfirm", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		secret := b.enroll(t, b.user)
		_, err := b.svc.Confirm(ctx, b.user.ID, totp.Code(secret, b.clock.Now().Add(2*totp.Period)))
		wantErr(t, err, auth.ErrInvalidCode)
		if on, _ := b.svc.TOTPEnabled(ctx, b.user.ID); on {
			t.Fatal("a wrong code turned TOTP on")
		}
		other := b.newUser(t, "other@example.com")
		_, err = b.svc.Confirm(ctx, other.ID, "123456")
		wantErr(t, err, auth.ErrInvalidCode) // nothing pending
	})
	t.Run("EnrollingAgainBeforeConfirmingReplacesTheSecret", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		first := b.enroll(t, b.user)
		second := b.enroll(t, b.user)
		now := b.clock.Now()
		if totp.Code(first, now) != totp.Code(second, now) {
			_, err := b.svc.Confirm(ctx, b.user.ID, totp.Code(first, now))
			wantErr(t, err, auth.ErrInvalidCode)
		}
		if _, err := b.svc.Confirm(ctx, b.user.ID, totp.Code(second, now)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("UnverifiedAddressCannotEnroll", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u := b.user
		u.EmailVerified = false
		_, err := b.svc.Enroll(ctx, u)
		wantErr(t, err, auth.ErrEmailUnverified)
	})
	t.Run("DisableTurnsItOffAndVoidsTheRecoveryCodes", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, codes := b.enable(t, b.user)
		if err := b.svc.Disable(ctx, b.user.ID); err != nil {
			t.Fatal(err)
		}
		if on, _ := b.svc.TOTPEnabled(ctx, b.user.ID); on {
			t.Fatal("still on after Disable")
		}
		wantErr(t, b.svc.UseRecoveryCode(ctx, b.user.ID, codes[0]), auth.ErrInvalidCode)
		if err := b.svc.Disable(ctx, b.user.ID); err != nil {
			t.Fatalf("disabling twice: %v", err)
		}
		b.enable(t, b.user) // and it can be turned on again
	})
}

func TestSecretAtRest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("IsSealedNotPlain", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		secret := b.enroll(t, b.user)
		cred, err := b.db.FindTOTPCredential(ctx, b.user.ID)
		if err != nil {
			t.Fatal(err)
		}
		encoded := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
		if bytes.Contains(cred.SealedSecret, secret) || bytes.Contains(cred.SealedSecret, []byte(encoded)) {
			t.Fatal("the stored credential contains the secret")
		}
		if len(cred.SealedSecret) != 1+12+len(secret)+16 {
			t.Fatalf("sealed length %d, want version + nonce + secret + GCM tag", len(cred.SealedSecret))
		}
	})
	t.Run("OpensOnlyUnderItsKeyAndForItsUser", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		secret, _ := b.enable(t, b.user)
		b.clock.Advance(totp.Period)
		code := totp.Code(secret, b.clock.Now())
		otherKey := newService(b.db, b.clock, b.sessions, bytes.Repeat([]byte{8}, 32))
		if err := otherKey.UseTOTP(ctx, b.user.ID, code); err == nil || errors.Is(err, auth.ErrInvalidCode) {
			t.Fatalf("another key opened the secret or hid the failure: %v", err)
		}
		// The sealed secret copied onto another user's row does not open.
		thief := b.newUser(t, "thief@example.com")
		cred, _ := b.db.FindTOTPCredential(ctx, b.user.ID)
		cred.UserID = thief.ID
		if err := b.db.PutTOTPCredential(ctx, cred); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Confirm(ctx, thief.ID, code); err == nil || errors.Is(err, auth.ErrInvalidCode) {
			t.Fatalf("a secret moved to another user opened: %v", err)
		}
		if err := b.svc.UseTOTP(ctx, b.user.ID, code); err != nil {
			t.Fatalf("the right key and user: %v", err)
		}
	})
}
