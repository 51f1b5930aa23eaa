package mfa_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"authd/adapters/totp"
	"authd/core/auth"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	challenge := func(t *testing.T, b testBundle, u auth.User) string {
		t.Helper()
		token, required, err := b.svc.Challenge(ctx, u.ID)
		if err != nil || !required || len(token) != 43 {
			t.Fatalf("Challenge = %q, %v, %v; want a 256-bit token", token, required, err)
		}
		return token
	}
	t.Run("CleanupDeletesOnlyLongExpiredChallenges", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.enable(t, b.user)
		old := challenge(t, b, b.user)
		b.clock.Advance(65*time.Minute + time.Second) // expired (5 min) more than an hour ago
		fresh := challenge(t, b, b.user)
		if n, err := b.svc.Cleanup(ctx); err != nil || n != 1 {
			t.Fatalf("Cleanup = %d, %v; want the old challenge only", n, err)
		}
		if _, _, err := b.svc.CompleteLogin(ctx, old, "000000", client); !errors.Is(err, auth.ErrInvalidMFAToken) {
			t.Fatalf("old token after cleanup: %v", err)
		}
		if _, _, err := b.svc.CompleteLogin(ctx, fresh, "000000", client); errors.Is(err, auth.ErrInvalidMFAToken) {
			t.Fatal("the live challenge was deleted")
		}
	})
	t.Run("NoChallengeWithoutTOTP", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.enroll(t, b.user) // pending is not on
		token, required, err := b.svc.Challenge(ctx, b.user.ID)
		if err != nil || required || token != "" {
			t.Fatalf("Challenge = %q, %v, %v; want none", token, required, err)
		}
	})
	t.Run("TOTPCompletesItOnceWithPwdAndOTP", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		secret, _ := b.enable(t, b.user)
		token := challenge(t, b, b.user)
		b.clock.Advance(totp.Period)
		u, issued, err := b.svc.CompleteLogin(ctx, token, totp.Code(secret, b.clock.Now()), client)
		if err != nil {
			t.Fatal(err)
		}
		s := issued.Session
		if u.ID != b.user.ID || s.UserID != b.user.ID || !slices.Equal(s.AMR, []string{auth.MethodPassword, auth.MethodOTP}) ||
			s.AuthMethod != auth.MethodPassword || s.AAL() != "aal2" {
			t.Fatalf("session = %+v", s)
		}
		if _, _, err := b.sessions.Authenticate(ctx, issued.Token); err != nil {
			t.Fatalf("the issued session does not authenticate: %v", err)
		}
		b.clock.Advance(totp.Period)
		_, _, err = b.svc.CompleteLogin(ctx, token, totp.Code(secret, b.clock.Now()), client)
		wantErr(t, err, auth.ErrInvalidMFAToken)
	})
	t.Run("RecoveryCodeCompletesIt", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, codes := b.enable(t, b.user)
		_, issued, err := b.svc.CompleteLogin(ctx, challenge(t, b, b.user), codes[0], client)
		if err != nil || issued.Session.AAL() != "aal2" {
			t.Fatalf("CompleteLogin = %+v, %v", issued.Session, err)
		}
		_, _, err = b.svc.CompleteLogin(ctx, challenge(t, b, b.user), codes[0], client)
		wantErr(t, err, auth.ErrInvalidCode)
	})
	t.Run("FiveWrongCodesVoidTheToken", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		secret, _ := b.enable(t, b.user)
		token := challenge(t, b, b.user)
		for i := range 5 {
			_, _, err := b.svc.CompleteLogin(ctx, token, "000000", client)
			var e *auth.Error
			if !errors.As(err, &e) || e.Code != "invalid_code" || e.Kind != auth.KindUnauthenticated {
				t.Fatalf("wrong code %d: %v, want a 401 invalid_code", i+1, err)
			}
		}
		b.clock.Advance(totp.Period)
		_, _, err := b.svc.CompleteLogin(ctx, token, totp.Code(secret, b.clock.Now()), client)
		wantErr(t, err, auth.ErrInvalidMFAToken)
		// The right code was not spent on the void token: a new one takes it.
		if _, _, err := b.svc.CompleteLogin(ctx, challenge(t, b, b.user), totp.Code(secret, b.clock.Now()), client); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("FourWrongCodesLeaveTheFifthTry", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		secret, _ := b.enable(t, b.user)
		token := challenge(t, b, b.user)
		for range 4 {
			b.svc.CompleteLogin(ctx, token, "000000", client)
		}
		b.clock.Advance(totp.Period)
		if _, _, err := b.svc.CompleteLogin(ctx, token, totp.Code(secret, b.clock.Now()), client); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("TokenLivesFiveMinutes", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		secret, _ := b.enable(t, b.user)
		inside, past := challenge(t, b, b.user), challenge(t, b, b.user)
		b.clock.Advance(5*time.Minute - time.Second)
		if _, _, err := b.svc.CompleteLogin(ctx, inside, totp.Code(secret, b.clock.Now()), client); err != nil {
			t.Fatalf("a second before expiry: %v", err)
		}
		b.clock.Advance(totp.Period)
		_, _, err := b.svc.CompleteLogin(ctx, past, totp.Code(secret, b.clock.Now()), client)
		wantErr(t, err, auth.ErrInvalidMFAToken)
	})
	t.Run("TokenIsBoundToItsUser", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.enable(t, b.user)
		mallory := b.newUser(t, "mallory@example.com")
		secret, codes := b.enable(t, mallory)
		token := challenge(t, b, b.user)
		b.clock.Advance(totp.Period)
		_, _, err := b.svc.CompleteLogin(ctx, token, totp.Code(secret, b.clock.Now()), client)
		wantErr(t, err, auth.ErrInvalidCode)
		_, _, err = b.svc.CompleteLogin(ctx, token, codes[0], client)
		wantErr(t, err, auth.ErrInvalidCode)
	})
	t.Run("UnknownOrMalformedTokenIsRefused", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, codes := b.enable(t, b.user)
		for _, tok := range []string{"", "short", strings.Repeat("A", 43)} {
			_, _, err := b.svc.CompleteLogin(ctx, tok, codes[0], client)
			wantErr(t, err, auth.ErrInvalidMFAToken)
		}
	})
}
