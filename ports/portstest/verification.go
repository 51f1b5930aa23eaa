package portstest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// VerificationStores is one fresh, empty set of the stores the verification
// capability uses.
type VerificationStores struct {
	Users         ports.UserStore
	Verifications ports.VerificationStore
	Requests      ports.EmailRequestLog
	Changes       ports.EmailChangeStore
	Tx            ports.TxRunner
}

// RunVerification runs the verification stores' suite; newStores must return
// empty stores for each call.
func RunVerification(t *testing.T, newStores func(t *testing.T) VerificationStores) {
	t.Run("Verifications", func(t *testing.T) { t.Parallel(); testVerifications(t, newStores) })
	t.Run("EmailRequests", func(t *testing.T) { t.Parallel(); testEmailRequests(t, newStores) })
	t.Run("EmailChanges", func(t *testing.T) { t.Parallel(); testEmailChanges(t, newStores) })
}

func tokenHash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

func newVerification(userID uuid.UUID, token string, purpose ports.VerificationPurpose, created time.Time) ports.Verification {
	v := ports.Verification{ID: uuid.New(), UserID: userID, Email: "owner@example.com", Purpose: purpose,
		ExpiresAt: created.Add(24 * time.Hour), CreatedAt: created}
	if token != "" {
		v.TokenHash = tokenHash(token)
	}
	return v
}

func testVerifications(t *testing.T, newStores func(t *testing.T) VerificationStores) {
	ctx := context.Background()
	setup := func(t *testing.T) (VerificationStores, auth.User) {
		s := newStores(t)
		u := newUser("verify-" + uuid.NewString()[:8] + "@example.com")
		must(t, s.Users.CreateUser(ctx, u))
		return s, u
	}
	verifyOnly := []ports.VerificationPurpose{ports.PurposeVerifyEmail}
	t.Run("ConsumedOnceThenNotFound", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		v := newVerification(u.ID, "a", ports.PurposeVerifyEmail, base)
		must(t, s.Verifications.ReplaceVerification(ctx, v))
		now := base.Add(time.Hour)
		got, err := s.Verifications.FindUsableVerification(ctx, v.TokenHash, now, verifyOnly...)
		must(t, err)
		if got.ID != v.ID || got.UsedAt != nil {
			t.Fatalf("FindUsableVerification = %+v, want unused %v", got, v.ID)
		}
		got, err = s.Verifications.ConsumeVerification(ctx, v.TokenHash, now, verifyOnly...)
		must(t, err)
		if got.ID != v.ID || got.UserID != u.ID || got.Email != v.Email || got.Purpose != ports.PurposeVerifyEmail ||
			!bytes.Equal(got.TokenHash, v.TokenHash) || got.UsedAt == nil || !got.UsedAt.Equal(now) ||
			!got.ExpiresAt.Equal(v.ExpiresAt) || !got.CreatedAt.Equal(base) {
			t.Fatalf("ConsumeVerification = %+v, want %+v used at %v", got, v, now)
		}
		_, err = s.Verifications.ConsumeVerification(ctx, v.TokenHash, now, verifyOnly...)
		wantErr(t, err, auth.ErrNotFound)
		_, err = s.Verifications.FindUsableVerification(ctx, v.TokenHash, now, verifyOnly...)
		wantErr(t, err, auth.ErrNotFound)
	})
	t.Run("ExpiredWrongPurposeUnknownAndUnmintedAreNotConsumed", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		v := newVerification(u.ID, "a", ports.PurposeVerifyEmail, base)
		must(t, s.Verifications.ReplaceVerification(ctx, v))
		pending := newVerification(u.ID, "", ports.PurposeEmailChange, base)
		must(t, s.Verifications.ReplaceVerification(ctx, pending))
		_, err := s.Verifications.ConsumeVerification(ctx, v.TokenHash, v.ExpiresAt, verifyOnly...)
		wantErr(t, err, auth.ErrNotFound) // expiry is exclusive
		_, err = s.Verifications.ConsumeVerification(ctx, v.TokenHash, base, ports.PurposePasswordReset, ports.PurposeEmailChange)
		wantErr(t, err, auth.ErrNotFound)
		_, err = s.Verifications.ConsumeVerification(ctx, tokenHash("unknown"), base, verifyOnly...)
		wantErr(t, err, auth.ErrNotFound)
		_, err = s.Verifications.ConsumeVerification(ctx, nil, base, ports.PurposeEmailChange)
		wantErr(t, err, auth.ErrNotFound)
		// None of those consumed it.
		_, err = s.Verifications.ConsumeVerification(ctx, v.TokenHash, base, ports.PurposeVerifyEmail, ports.PurposeEmailChange)
		must(t, err)
	})
	t.Run("NewTokenVoidsOlderUnusedOfItsPurposeOnly", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		other := newUser("other-" + uuid.NewString()[:8] + "@example.com")
		must(t, s.Users.CreateUser(ctx, other))
		used := newVerification(u.ID, "used", ports.PurposeVerifyEmail, base)
		old := newVerification(u.ID, "old", ports.PurposeVerifyEmail, base)
		reset := newVerification(u.ID, "reset", ports.PurposePasswordReset, base)
		others := newVerification(other.ID, "others", ports.PurposeVerifyEmail, base)
		must(t, s.Verifications.ReplaceVerification(ctx, used))
		_, err := s.Verifications.ConsumeVerification(ctx, used.TokenHash, base, verifyOnly...)
		must(t, err)
		for _, v := range []ports.Verification{old, reset, others} {
			must(t, s.Verifications.ReplaceVerification(ctx, v))
		}
		newer := newVerification(u.ID, "new", ports.PurposeVerifyEmail, base.Add(time.Minute))
		must(t, s.Verifications.ReplaceVerification(ctx, newer))
		_, err = s.Verifications.FindUsableVerification(ctx, old.TokenHash, base, verifyOnly...)
		wantErr(t, err, auth.ErrNotFound)
		for _, v := range []ports.Verification{reset, others, newer} {
			if _, err := s.Verifications.FindUsableVerification(ctx, v.TokenHash, base, v.Purpose); err != nil {
				t.Fatalf("%x was voided by another purpose's or user's token: %v", v.TokenHash[:4], err)
			}
		}
		// The used one was kept (until cleanup) rather than voided.
		n, err := s.Verifications.DeleteStaleVerifications(ctx, base)
		must(t, err)
		if n != 1 {
			t.Fatalf("DeleteStaleVerifications deleted %d, want the used one only", n)
		}
	})
	t.Run("PendingIsTheNewestUnusedUnexpired", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		_, err := s.Verifications.FindPendingVerification(ctx, u.ID, ports.PurposeEmailChange, base)
		wantErr(t, err, auth.ErrNotFound)
		pending := newVerification(u.ID, "", ports.PurposeEmailChange, base)
		pending.Email = "new@example.com"
		must(t, s.Verifications.ReplaceVerification(ctx, pending))
		got, err := s.Verifications.FindPendingVerification(ctx, u.ID, ports.PurposeEmailChange, base)
		must(t, err)
		if got.ID != pending.ID || got.TokenHash != nil || got.Email != "new@example.com" {
			t.Fatalf("pending = %+v, want the unminted %+v", got, pending)
		}
		minted := newVerification(u.ID, "minted", ports.PurposeEmailChange, base.Add(time.Second))
		minted.Email = "new@example.com"
		must(t, s.Verifications.ReplaceVerification(ctx, minted))
		got, err = s.Verifications.FindPendingVerification(ctx, u.ID, ports.PurposeEmailChange, base)
		must(t, err)
		if got.ID != minted.ID {
			t.Fatalf("pending = %v, want the minted %v", got.ID, minted.ID)
		}
		_, err = s.Verifications.FindPendingVerification(ctx, u.ID, ports.PurposeEmailChange, minted.ExpiresAt)
		wantErr(t, err, auth.ErrNotFound)
		_, err = s.Verifications.ConsumeVerification(ctx, minted.TokenHash, base, ports.PurposeEmailChange)
		must(t, err)
		_, err = s.Verifications.FindPendingVerification(ctx, u.ID, ports.PurposeEmailChange, base)
		wantErr(t, err, auth.ErrNotFound)
	})
	t.Run("StaleAreDeletedOthersKept", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		purposes := []ports.VerificationPurpose{ports.PurposeVerifyEmail, ports.PurposePasswordReset, ports.PurposeEmailChange}
		longExpired := newVerification(u.ID, "long", ports.PurposeVerifyEmail, base.Add(-72*time.Hour))
		justExpired := newVerification(u.ID, "just", ports.PurposePasswordReset, base.Add(-25*time.Hour))
		live := newVerification(u.ID, "live", ports.PurposeEmailChange, base)
		for _, v := range []ports.Verification{longExpired, justExpired, live} {
			must(t, s.Verifications.ReplaceVerification(ctx, v))
		}
		n, err := s.Verifications.DeleteStaleVerifications(ctx, base.Add(-24*time.Hour))
		must(t, err)
		if n != 1 {
			t.Fatalf("deleted %d, want 1 (the one expired before the cutoff)", n)
		}
		_, err = s.Verifications.FindUsableVerification(ctx, justExpired.TokenHash, base.Add(-25*time.Hour), purposes...)
		must(t, err)
		_, err = s.Verifications.FindUsableVerification(ctx, longExpired.TokenHash, base.Add(-72*time.Hour), purposes...)
		wantErr(t, err, auth.ErrNotFound)
		_, err = s.Verifications.FindUsableVerification(ctx, live.TokenHash, base, purposes...)
		must(t, err)
	})
	t.Run("ConcurrentReplacementsLeaveOneUsable", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		const n = 8
		vs := make([]ports.Verification, n)
		var wg sync.WaitGroup
		for i := range vs {
			vs[i] = newVerification(u.ID, "concurrent-"+string(rune('a'+i)), ports.PurposeVerifyEmail, base)
			wg.Go(func() {
				err := s.Tx.WithinTx(ctx, func(ctx context.Context) error {
					return s.Verifications.ReplaceVerification(ctx, vs[i])
				})
				if err != nil {
					t.Errorf("replace: %v", err)
				}
			})
		}
		wg.Wait()
		usable := 0
		for _, v := range vs {
			if _, err := s.Verifications.FindUsableVerification(ctx, v.TokenHash, base, verifyOnly...); err == nil {
				usable++
			}
		}
		if usable != 1 {
			t.Fatalf("%d of %d concurrently minted tokens are usable, want 1 (the last voids the others)", usable, n)
		}
	})
	t.Run("ConcurrentConsumesOneWins", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		v := newVerification(u.ID, "race", ports.PurposeVerifyEmail, base)
		must(t, s.Verifications.ReplaceVerification(ctx, v))
		const n = 8
		var wg sync.WaitGroup
		results := make(chan error, n)
		for range n {
			wg.Go(func() {
				results <- s.Tx.WithinTx(ctx, func(ctx context.Context) error {
					_, err := s.Verifications.ConsumeVerification(ctx, v.TokenHash, base, verifyOnly...)
					return err
				})
			})
		}
		wg.Wait()
		close(results)
		won := 0
		for err := range results {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, auth.ErrNotFound):
				t.Fatalf("a losing consume failed with %v, want not_found", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d of %d concurrent consumes succeeded, want exactly 1", won, n)
		}
	})
}

func testEmailRequests(t *testing.T, newStores func(t *testing.T) VerificationStores) {
	ctx := context.Background()
	setup := func(t *testing.T) (VerificationStores, auth.User) {
		s := newStores(t)
		u := newUser("requests-" + uuid.NewString()[:8] + "@example.com")
		must(t, s.Users.CreateUser(ctx, u))
		return s, u
	}
	ip := netip.MustParseAddr("198.51.100.4")
	t.Run("TimesByUserAndIPNewestFirst", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		reqs := []ports.EmailRequest{
			{UserID: u.ID, Purpose: ports.PurposeVerifyEmail, CreatedAt: base.Add(-2 * time.Hour)},
			{UserID: u.ID, Purpose: ports.PurposeVerifyEmail, IP: ip, CreatedAt: base},
			{UserID: u.ID, Purpose: ports.PurposeVerifyEmail, CreatedAt: base.Add(time.Minute)},
			{UserID: u.ID, Purpose: ports.PurposePasswordReset, IP: ip, CreatedAt: base},
			{Purpose: ports.PurposePasswordReset, IP: ip, CreatedAt: base.Add(2 * time.Minute)},
			{Purpose: ports.PurposePasswordReset, IP: netip.MustParseAddr("2001:db8::1"), CreatedAt: base},
		}
		for _, r := range reqs {
			must(t, s.Requests.RecordEmailRequest(ctx, r))
		}
		times, err := s.Requests.EmailRequestTimesByUser(ctx, u.ID, ports.PurposeVerifyEmail, base.Add(-time.Hour))
		must(t, err)
		if len(times) != 2 || !times[0].Equal(base.Add(time.Minute)) || !times[1].Equal(base) {
			t.Fatalf("times by user = %v, want [%v %v]", times, base.Add(time.Minute), base)
		}
		times, err = s.Requests.EmailRequestTimesByIP(ctx, ip, ports.PurposePasswordReset, base)
		must(t, err)
		if len(times) != 2 || !times[0].Equal(base.Add(2*time.Minute)) || !times[1].Equal(base) {
			t.Fatalf("times by ip = %v, want the two reset requests from %v", times, ip)
		}
		times, err = s.Requests.EmailRequestTimesByUser(ctx, uuid.New(), ports.PurposeVerifyEmail, base.Add(-time.Hour))
		must(t, err)
		if len(times) != 0 {
			t.Fatalf("an unknown user has request times %v", times)
		}
		n, err := s.Requests.DeleteEmailRequestsBefore(ctx, base)
		must(t, err)
		if n != 1 {
			t.Fatalf("deleted %d requests, want 1", n)
		}
		times, err = s.Requests.EmailRequestTimesByUser(ctx, u.ID, ports.PurposeVerifyEmail, base.Add(-72*time.Hour))
		must(t, err)
		if len(times) != 2 {
			t.Fatalf("times after delete = %v", times)
		}
	})
	t.Run("CountAndRecordDoNotInterleave", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		const n = 8
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				err := s.Tx.WithinTx(ctx, func(ctx context.Context) error {
					times, err := s.Requests.EmailRequestTimesByUser(ctx, u.ID, ports.PurposeVerifyEmail, base)
					if err != nil || len(times) > 0 {
						return err
					}
					return s.Requests.RecordEmailRequest(ctx, ports.EmailRequest{UserID: u.ID,
						Purpose: ports.PurposeVerifyEmail, CreatedAt: base})
				})
				if err != nil {
					t.Errorf("count and record: %v", err)
				}
			})
		}
		wg.Wait()
		times, err := s.Requests.EmailRequestTimesByUser(ctx, u.ID, ports.PurposeVerifyEmail, base)
		must(t, err)
		if len(times) != 1 {
			t.Fatalf("%d requests recorded by %d transactions that each record only when none exists", len(times), n)
		}
	})
}

func testEmailChanges(t *testing.T, newStores func(t *testing.T) VerificationStores) {
	ctx := context.Background()
	t.Run("CreatedIsFoundUnknownIsNot", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		u := newUser("changes-" + uuid.NewString()[:8] + "@example.com")
		must(t, s.Users.CreateUser(ctx, u))
		c := ports.EmailChange{ID: uuid.New(), UserID: u.ID, OldEmail: "old@example.com", NewEmail: u.Email, ChangedAt: base}
		must(t, s.Changes.CreateEmailChange(ctx, c))
		got, err := s.Changes.FindEmailChange(ctx, c.ID)
		must(t, err)
		if got.ID != c.ID || got.UserID != c.UserID || got.OldEmail != c.OldEmail || got.NewEmail != c.NewEmail ||
			!got.ChangedAt.Equal(c.ChangedAt) {
			t.Fatalf("FindEmailChange = %+v, want %+v", got, c)
		}
		_, err = s.Changes.FindEmailChange(ctx, uuid.New())
		wantErr(t, err, auth.ErrNotFound)
	})
}
