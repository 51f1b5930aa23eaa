package portstest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

func testMFA(t *testing.T, newStores func(t *testing.T) Stores) {
	ctx := context.Background()
	setup := func(t *testing.T) (Stores, auth.User) {
		s := newStores(t)
		u := newUser("mfa-" + uuid.NewString()[:8] + "@example.com")
		must(t, s.Users.CreateUser(ctx, u))
		return s, u
	}
	pending := func(userID uuid.UUID, sealed string) ports.TOTPCredential {
		return ports.TOTPCredential{UserID: userID, SealedSecret: []byte(sealed), CreatedAt: base}
	}
	t.Run("PendingCredentialIsReplacedUntilConfirmed", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		_, err := s.MFA.FindTOTPCredential(ctx, u.ID)
		wantErr(t, err, auth.ErrNotFound)
		must(t, s.MFA.PutTOTPCredential(ctx, pending(u.ID, "first")))
		must(t, s.MFA.PutTOTPCredential(ctx, pending(u.ID, "second")))
		c, err := s.MFA.FindTOTPCredential(ctx, u.ID)
		must(t, err)
		if string(c.SealedSecret) != "second" || c.ConfirmedAt != nil || c.UserID != u.ID || !c.CreatedAt.Equal(base) {
			t.Fatalf("pending credential = %+v", c)
		}
		at := base.Add(time.Minute)
		must(t, s.MFA.ConfirmTOTPCredential(ctx, u.ID, 1000, at))
		c, err = s.MFA.FindTOTPCredential(ctx, u.ID)
		must(t, err)
		if c.ConfirmedAt == nil || !c.ConfirmedAt.Equal(at) || c.LastUsedStep != 1000 || string(c.SealedSecret) != "second" {
			t.Fatalf("confirmed credential = %+v", c)
		}
		wantErr(t, s.MFA.ConfirmTOTPCredential(ctx, u.ID, 1001, at), auth.ErrNotFound)
		wantErr(t, s.MFA.PutTOTPCredential(ctx, pending(u.ID, "third")), auth.ErrAlreadyEnrolled)
		c, _ = s.MFA.FindTOTPCredential(ctx, u.ID)
		if string(c.SealedSecret) != "second" || c.ConfirmedAt == nil {
			t.Fatalf("a confirmed credential was overwritten: %+v", c)
		}
	})
	t.Run("TOTPStepsOnlyMoveForward", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		must(t, s.MFA.PutTOTPCredential(ctx, pending(u.ID, "sealed")))
		wantErr(t, s.MFA.UseTOTPStep(ctx, u.ID, 5), auth.ErrNotFound) // pending: no logins yet
		must(t, s.MFA.ConfirmTOTPCredential(ctx, u.ID, 10, base))
		wantErr(t, s.MFA.UseTOTPStep(ctx, u.ID, 10), auth.ErrNotFound)
		wantErr(t, s.MFA.UseTOTPStep(ctx, u.ID, 9), auth.ErrNotFound)
		must(t, s.MFA.UseTOTPStep(ctx, u.ID, 11))
		wantErr(t, s.MFA.UseTOTPStep(ctx, u.ID, 11), auth.ErrNotFound)
		must(t, s.MFA.UseTOTPStep(ctx, u.ID, 13))
		c, _ := s.MFA.FindTOTPCredential(ctx, u.ID)
		if c.LastUsedStep != 13 {
			t.Fatalf("last used step = %d, want 13", c.LastUsedStep)
		}
		wantErr(t, s.MFA.UseTOTPStep(ctx, uuid.New(), 99), auth.ErrNotFound)
	})
	t.Run("RecoveryCodesAreSingleUseAndPerUser", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		other := newUser("mfa-other-" + uuid.NewString()[:8] + "@example.com")
		must(t, s.Users.CreateUser(ctx, other))
		h := func(s string) []byte { return bytes.Repeat([]byte(s), 32) }
		must(t, s.MFA.ReplaceRecoveryCodes(ctx, u.ID, [][]byte{h("a"), h("b"), h("c")}, base))
		wantCount(t, s, u.ID, 3)
		must(t, s.MFA.UseRecoveryCode(ctx, u.ID, h("b"), base))
		wantErr(t, s.MFA.UseRecoveryCode(ctx, u.ID, h("b"), base), auth.ErrNotFound)
		wantErr(t, s.MFA.UseRecoveryCode(ctx, other.ID, h("a"), base), auth.ErrNotFound)
		wantErr(t, s.MFA.UseRecoveryCode(ctx, u.ID, h("z"), base), auth.ErrNotFound)
		wantCount(t, s, u.ID, 2)
		must(t, s.MFA.ReplaceRecoveryCodes(ctx, u.ID, [][]byte{h("d"), h("e")}, base))
		wantErr(t, s.MFA.UseRecoveryCode(ctx, u.ID, h("a"), base), auth.ErrNotFound) // the old set is gone
		wantCount(t, s, u.ID, 2)
		must(t, s.MFA.UseRecoveryCode(ctx, u.ID, h("d"), base))
	})
	t.Run("DeletingTheCredentialDropsTheRecoveryCodes", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		must(t, s.MFA.PutTOTPCredential(ctx, pending(u.ID, "sealed")))
		must(t, s.MFA.ConfirmTOTPCredential(ctx, u.ID, 1, base))
		must(t, s.MFA.ReplaceRecoveryCodes(ctx, u.ID, [][]byte{bytes.Repeat([]byte("r"), 32)}, base))
		must(t, s.MFA.DeleteTOTPCredential(ctx, u.ID))
		_, err := s.MFA.FindTOTPCredential(ctx, u.ID)
		wantErr(t, err, auth.ErrNotFound)
		wantCount(t, s, u.ID, 0)
		must(t, s.MFA.DeleteTOTPCredential(ctx, u.ID)) // nothing left: still fine
		must(t, s.MFA.PutTOTPCredential(ctx, pending(u.ID, "again")))
	})
	t.Run("ChallengeAttemptsAreBoundedAndItIsUsedOnce", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		ch := ports.MFAChallenge{ID: uuid.New(), UserID: u.ID, TokenHash: bytes.Repeat([]byte("t"), 32),
			CreatedAt: base, ExpiresAt: base.Add(5 * time.Minute)}
		must(t, s.MFA.CreateMFAChallenge(ctx, ch))
		for i := 1; i <= 3; i++ {
			got, err := s.MFA.ClaimMFAChallengeAttempt(ctx, ch.TokenHash, base, 3)
			must(t, err)
			if got.ID != ch.ID || got.UserID != u.ID || got.Attempts != i || !got.ExpiresAt.Equal(ch.ExpiresAt) {
				t.Fatalf("claim %d = %+v", i, got)
			}
		}
		_, err := s.MFA.ClaimMFAChallengeAttempt(ctx, ch.TokenHash, base, 3)
		wantErr(t, err, auth.ErrNotFound)
		_, err = s.MFA.ClaimMFAChallengeAttempt(ctx, bytes.Repeat([]byte("u"), 32), base, 3)
		wantErr(t, err, auth.ErrNotFound)

		fresh := ports.MFAChallenge{ID: uuid.New(), UserID: u.ID, TokenHash: bytes.Repeat([]byte("f"), 32),
			CreatedAt: base, ExpiresAt: base.Add(5 * time.Minute)}
		must(t, s.MFA.CreateMFAChallenge(ctx, fresh))
		must(t, s.MFA.ConsumeMFAChallenge(ctx, fresh.ID, base))
		wantErr(t, s.MFA.ConsumeMFAChallenge(ctx, fresh.ID, base), auth.ErrNotFound)
		_, err = s.MFA.ClaimMFAChallengeAttempt(ctx, fresh.TokenHash, base, 5)
		wantErr(t, err, auth.ErrNotFound)
	})
	t.Run("ExpiredChallengesAreDeleted", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		old := ports.MFAChallenge{ID: uuid.New(), UserID: u.ID, TokenHash: bytes.Repeat([]byte("o"), 32),
			CreatedAt: base, ExpiresAt: base.Add(5 * time.Minute)}
		live := ports.MFAChallenge{ID: uuid.New(), UserID: u.ID, TokenHash: bytes.Repeat([]byte("l"), 32),
			CreatedAt: base.Add(time.Hour), ExpiresAt: base.Add(time.Hour + 5*time.Minute)}
		must(t, s.MFA.CreateMFAChallenge(ctx, old))
		must(t, s.MFA.CreateMFAChallenge(ctx, live))
		n, err := s.MFA.DeleteMFAChallengesBefore(ctx, base.Add(time.Hour))
		must(t, err)
		if n != 1 {
			t.Fatalf("deleted %d, want 1", n)
		}
		_, err = s.MFA.ClaimMFAChallengeAttempt(ctx, live.TokenHash, base.Add(time.Hour), 5)
		must(t, err)
	})
	t.Run("ChallengeExpiresAtItsExpiry", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		ch := ports.MFAChallenge{ID: uuid.New(), UserID: u.ID, TokenHash: bytes.Repeat([]byte("e"), 32),
			CreatedAt: base, ExpiresAt: base.Add(5 * time.Minute)}
		must(t, s.MFA.CreateMFAChallenge(ctx, ch))
		_, err := s.MFA.ClaimMFAChallengeAttempt(ctx, ch.TokenHash, ch.ExpiresAt.Add(-time.Microsecond), 5)
		must(t, err)
		_, err = s.MFA.ClaimMFAChallengeAttempt(ctx, ch.TokenHash, ch.ExpiresAt, 5)
		wantErr(t, err, auth.ErrNotFound)
	})
	t.Run("RolledBackRecoveryCodeUseIsUndone", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		code := bytes.Repeat([]byte("k"), 32)
		must(t, s.MFA.ReplaceRecoveryCodes(ctx, u.ID, [][]byte{code}, base))
		boom := errors.New("boom")
		err := s.Tx.WithinTx(ctx, func(ctx context.Context) error {
			must(t, s.MFA.UseRecoveryCode(ctx, u.ID, code, base))
			return boom
		})
		wantErr(t, err, boom)
		must(t, s.MFA.UseRecoveryCode(ctx, u.ID, code, base))
	})
}

func wantCount(t *testing.T, s Stores, userID uuid.UUID, want int) {
	t.Helper()
	n, err := s.MFA.CountRecoveryCodes(context.Background(), userID)
	must(t, err)
	if n != want {
		t.Fatalf("unused recovery codes = %d, want %d", n, want)
	}
}

func testStepUpAttempts(t *testing.T, newStores func(t *testing.T) Stores) {
	ctx := context.Background()
	setup := func(t *testing.T) (Stores, auth.User, auth.Session, auth.Session) {
		s := newStores(t)
		u := newUser("stepup-" + uuid.NewString()[:8] + "@example.com")
		must(t, s.Users.CreateUser(ctx, u))
		a, b := newSession(u.ID, "a", base), newSession(u.ID, "b", base)
		must(t, s.Sessions.CreateSession(ctx, a))
		must(t, s.Sessions.CreateSession(ctx, b))
		return s, u, a, b
	}
	const window = 15 * time.Minute
	claim := func(t *testing.T, s Stores, u auth.User, sess auth.Session, now time.Time) (bool, time.Time) {
		t.Helper()
		ok, start, err := s.StepUps.ClaimStepUpAttempt(ctx, sess.ID, u.ID, now, window, 3)
		must(t, err)
		return ok, start
	}
	t.Run("AFullWindowRefusesUntilItCloses", func(t *testing.T) {
		t.Parallel()
		s, u, a, b := setup(t)
		for i := range 3 {
			if ok, start := claim(t, s, u, a, base.Add(time.Duration(i)*time.Minute)); !ok || !start.Equal(base) {
				t.Fatalf("claim %d = %v, %v; want true, %v", i+1, ok, start, base)
			}
		}
		if ok, start := claim(t, s, u, a, base.Add(window-time.Microsecond)); ok || !start.Equal(base) {
			t.Fatalf("fourth claim in the window = %v, %v; want false, %v", ok, start, base)
		}
		if ok, _ := claim(t, s, u, b, base.Add(time.Minute)); !ok {
			t.Fatal("another session of the same user was refused")
		}
		reopened := base.Add(window)
		if ok, start := claim(t, s, u, a, reopened); !ok || !start.Equal(reopened) {
			t.Fatalf("claim once the window closed = %v, %v; want true, %v", ok, start, reopened)
		}
	})
	t.Run("ClearingForgetsTheAttempts", func(t *testing.T) {
		t.Parallel()
		s, u, a, _ := setup(t)
		for range 3 {
			claim(t, s, u, a, base)
		}
		must(t, s.StepUps.ClearStepUpAttempts(ctx, a.ID))
		if ok, _ := claim(t, s, u, a, base.Add(time.Second)); !ok {
			t.Fatal("refused after clearing")
		}
		must(t, s.StepUps.ClearStepUpAttempts(ctx, uuid.New()))
	})
}
