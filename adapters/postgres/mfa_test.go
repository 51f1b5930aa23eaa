package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/adapters/postgres"
	"authd/adapters/postgres/pgtest"
	"authd/core/auth"
	"authd/ports"
)

// race runs fn n times at once and counts the calls that returned nil; any
// error other than auth.ErrNotFound fails the test.
func race(t *testing.T, n int, fn func() error) int {
	t.Helper()
	var ok atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			switch err := fn(); {
			case err == nil:
				ok.Add(1)
			case !errors.Is(err, auth.ErrNotFound):
				t.Errorf("unexpected error: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	return int(ok.Load())
}

// TestMFAConsumptionIsSingleUseUnderRaces sends concurrent requests at each
// conditional write: the database, not the application, decides who wins.
func TestMFAConsumptionIsSingleUseUnderRaces(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgres.New(pgtest.New(t).Pool)
	st := postgres.NewMFAStore(db)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	userID := uuid.New()
	if err := postgres.NewUserStore(db).CreateUser(ctx, auth.User{ID: userID, Email: "race@example.com",
		CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	t.Run("OneTOTPStepIsAcceptedOnce", func(t *testing.T) {
		if err := st.PutTOTPCredential(ctx, ports.TOTPCredential{UserID: userID, SealedSecret: []byte("s"), CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if err := st.ConfirmTOTPCredential(ctx, userID, 100, now); err != nil {
			t.Fatal(err)
		}
		if got := race(t, 8, func() error { return st.UseTOTPStep(ctx, userID, 101) }); got != 1 {
			t.Fatalf("%d requests used step 101, want 1", got)
		}
	})
	t.Run("OneRecoveryCodeIsUsedOnce", func(t *testing.T) {
		code := bytes.Repeat([]byte("c"), 32)
		if err := st.ReplaceRecoveryCodes(ctx, userID, [][]byte{code}, now); err != nil {
			t.Fatal(err)
		}
		if got := race(t, 8, func() error { return st.UseRecoveryCode(ctx, userID, code, now) }); got != 1 {
			t.Fatalf("%d requests used the code, want 1", got)
		}
	})
	t.Run("ChallengeAttemptsStayBounded", func(t *testing.T) {
		ch := ports.MFAChallenge{ID: uuid.New(), UserID: userID, TokenHash: bytes.Repeat([]byte("t"), 32),
			CreatedAt: now, ExpiresAt: now.Add(5 * time.Minute)}
		if err := st.CreateMFAChallenge(ctx, ch); err != nil {
			t.Fatal(err)
		}
		got := race(t, 20, func() error {
			_, err := st.ClaimMFAChallengeAttempt(ctx, ch.TokenHash, now, 5)
			return err
		})
		if got != 5 {
			t.Fatalf("%d attempts claimed, want 5", got)
		}
		if got := race(t, 8, func() error { return st.ConsumeMFAChallenge(ctx, ch.ID, now) }); got != 1 {
			t.Fatalf("%d requests consumed the challenge, want 1", got)
		}
	})
}

func TestInstanceSecretIsGeneratedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgres.New(pgtest.New(t).Pool)
	var n atomic.Int32
	gen := func() ([]byte, error) {
		i := n.Add(1)
		return bytes.Repeat([]byte{byte(i)}, 32), nil
	}
	values := make([][]byte, 6)
	var created atomic.Int32
	var wg sync.WaitGroup
	for i := range values {
		wg.Go(func() {
			v, c, err := db.InstanceSecret(ctx, "encryption_key", gen)
			if err != nil {
				t.Error(err)
			}
			if c {
				created.Add(1)
			}
			values[i] = v
		})
	}
	wg.Wait()
	for _, v := range values[1:] {
		if !bytes.Equal(v, values[0]) || len(v) != 32 {
			t.Fatalf("concurrent first starts disagree: %x vs %x", v, values[0])
		}
	}
	if created.Load() != 1 {
		t.Fatalf("%d calls say they created the secret, want 1", created.Load())
	}
	again, c, err := db.InstanceSecret(ctx, "encryption_key", gen)
	if err != nil || c || !bytes.Equal(again, values[0]) {
		t.Fatalf("a later start = %x, created %v, %v; want the stored value", again, c, err)
	}
}
