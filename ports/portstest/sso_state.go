package portstest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

func newSAMLRequest(providerID uuid.UUID, requestID string) ports.SAMLRequest {
	return ports.SAMLRequest{ID: uuid.New(), RequestID: requestID, ProviderID: providerID,
		BindingHash: bytes.Repeat([]byte{7}, 32), ReturnTo: "/after", Purpose: ports.SAMLPurposeLogin,
		CreatedAt: base, ExpiresAt: base.Add(5 * time.Minute)}
}

func testSSOState(t *testing.T, newStores func(t *testing.T) Stores) {
	ctx := context.Background()
	setup := func(t *testing.T) (Stores, auth.SAMLProvider) {
		s := newStores(t)
		p := newSAMLProvider("corp.example")
		must(t, s.SSO.CreateSAMLProvider(ctx, p))
		return s, p
	}
	t.Run("RequestIsTakenOnce", func(t *testing.T) {
		t.Parallel()
		s, p := setup(t)
		r := newSAMLRequest(p.ID, "_login-1")
		must(t, s.SSO.CreateSAMLRequest(ctx, r))
		got, err := s.SSO.TakeSAMLRequest(ctx, "_login-1")
		must(t, err)
		if got.ID != r.ID || got.RequestID != r.RequestID || got.ProviderID != p.ID || !bytes.Equal(got.BindingHash, r.BindingHash) ||
			got.ReturnTo != "/after" || got.Purpose != ports.SAMLPurposeLogin || got.SessionID != uuid.Nil ||
			got.UserID != uuid.Nil || !got.CreatedAt.Equal(base) || !got.ExpiresAt.Equal(r.ExpiresAt) {
			t.Fatalf("taken = %+v, want %+v", got, r)
		}
		_, err = s.SSO.TakeSAMLRequest(ctx, "_login-1")
		wantErr(t, err, auth.ErrNotFound)
	})
	t.Run("StepUpRequestKeepsItsSession", func(t *testing.T) {
		t.Parallel()
		s, p := setup(t)
		u := newUser("step-up@corp.example")
		must(t, s.Users.CreateUser(ctx, u))
		sess := newSession(u.ID, "step-up", base)
		must(t, s.Sessions.CreateSession(ctx, sess))
		r := newSAMLRequest(p.ID, "_step-up-1")
		r.Purpose, r.SessionID, r.UserID = ports.SAMLPurposeStepUp, sess.ID, u.ID
		must(t, s.SSO.CreateSAMLRequest(ctx, r))
		got, err := s.SSO.TakeSAMLRequest(ctx, "_step-up-1")
		must(t, err)
		if got.Purpose != ports.SAMLPurposeStepUp || got.SessionID != sess.ID || got.UserID != u.ID {
			t.Fatalf("taken = %+v", got)
		}
	})
	t.Run("TakeInARolledBackTransactionLeavesTheRequest", func(t *testing.T) {
		t.Parallel()
		s, p := setup(t)
		must(t, s.SSO.CreateSAMLRequest(ctx, newSAMLRequest(p.ID, "_rollback")))
		boom := errors.New("rejected")
		err := s.Tx.WithinTx(ctx, func(ctx context.Context) error {
			if _, err := s.SSO.TakeSAMLRequest(ctx, "_rollback"); err != nil {
				t.Fatal(err)
			}
			return boom
		})
		wantErr(t, err, boom)
		_, err = s.SSO.TakeSAMLRequest(ctx, "_rollback")
		must(t, err)
	})
	t.Run("ConcurrentTakesGiveTheRequestToOne", func(t *testing.T) {
		t.Parallel()
		s, p := setup(t)
		must(t, s.SSO.CreateSAMLRequest(ctx, newSAMLRequest(p.ID, "_race")))
		wins := raceSAML(t, 4, func() error {
			return s.Tx.WithinTx(ctx, func(ctx context.Context) error {
				_, err := s.SSO.TakeSAMLRequest(ctx, "_race")
				return err
			})
		})
		if wins != 1 {
			t.Fatalf("%d takes got the request, want 1", wins)
		}
	})
	t.Run("AssertionIsFirstOnceUntilItExpires", func(t *testing.T) {
		t.Parallel()
		s, _ := setup(t)
		exp := base.Add(4 * time.Minute)
		first, err := s.SSO.RecordSAMLAssertion(ctx, "https://idp.example", "_a1", exp, base)
		must(t, err)
		again, err := s.SSO.RecordSAMLAssertion(ctx, "https://idp.example", "_a1", exp, base.Add(time.Minute))
		must(t, err)
		otherIssuer, err := s.SSO.RecordSAMLAssertion(ctx, "https://other-idp.example", "_a1", exp, base)
		must(t, err)
		if !first || again || !otherIssuer {
			t.Fatalf("first %v, again %v, same ID from another issuer %v", first, again, otherIssuer)
		}
		// Once expired (and not yet swept) the ID may be taken again: the
		// assertion itself can no longer be accepted by then.
		later, err := s.SSO.RecordSAMLAssertion(ctx, "https://idp.example", "_a1", exp.Add(time.Hour), exp)
		must(t, err)
		if !later {
			t.Fatal("an expired record still refuses the ID")
		}
		still, err := s.SSO.RecordSAMLAssertion(ctx, "https://idp.example", "_a1", exp.Add(time.Hour), exp.Add(time.Minute))
		must(t, err)
		if still {
			t.Fatal("the renewed record does not hold")
		}
	})
	t.Run("ConcurrentRecordsMakeOneFirst", func(t *testing.T) {
		t.Parallel()
		s, _ := setup(t)
		wins := raceSAML(t, 4, func() error {
			return s.Tx.WithinTx(ctx, func(ctx context.Context) error {
				first, err := s.SSO.RecordSAMLAssertion(ctx, "https://idp.example", "_raced", base.Add(time.Hour), base)
				if err == nil && !first {
					err = auth.ErrNotFound
				}
				return err
			})
		})
		if wins != 1 {
			t.Fatalf("%d records were first, want 1", wins)
		}
	})
	t.Run("ExpiredStateIsSwept", func(t *testing.T) {
		t.Parallel()
		s, p := setup(t)
		old, live := newSAMLRequest(p.ID, "_old"), newSAMLRequest(p.ID, "_live")
		old.ExpiresAt = base
		must(t, s.SSO.CreateSAMLRequest(ctx, old))
		must(t, s.SSO.CreateSAMLRequest(ctx, live))
		if _, err := s.SSO.RecordSAMLAssertion(ctx, "i", "_old", base, base.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SSO.RecordSAMLAssertion(ctx, "i", "_live", base.Add(time.Hour), base); err != nil {
			t.Fatal(err)
		}
		n, err := s.SSO.DeleteExpiredSAMLState(ctx, base)
		must(t, err)
		if n != 2 {
			t.Fatalf("swept %d rows, want 2", n)
		}
		_, err = s.SSO.TakeSAMLRequest(ctx, "_old")
		wantErr(t, err, auth.ErrNotFound)
		_, err = s.SSO.TakeSAMLRequest(ctx, "_live")
		must(t, err)
		if first, _ := s.SSO.RecordSAMLAssertion(ctx, "i", "_live", base.Add(time.Hour), base); first {
			t.Fatal("the live assertion record was swept")
		}
	})
}

// raceSAML runs fn n times at once and counts the calls that returned nil; any
// error other than auth.ErrNotFound fails the test.
func raceSAML(t *testing.T, n int, fn func() error) int {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			errs <- fn()
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	wins := 0
	for err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, auth.ErrNotFound):
			t.Errorf("unexpected error: %v", err)
		}
	}
	return wins
}

func testSSOKeyPair(t *testing.T, newStores func(t *testing.T) Stores) {
	ctx := context.Background()
	const (
		key1  = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
		cert1 = "-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n"
		key2  = "-----BEGIN PRIVATE KEY-----\nCCCC\n-----END PRIVATE KEY-----\n"
		cert2 = "-----BEGIN CERTIFICATE-----\nDDDD\n-----END CERTIFICATE-----\n"
	)
	same := func(got []byte, want string) bool {
		return string(bytes.TrimSpace(got)) == string(bytes.TrimSpace([]byte(want)))
	}
	t.Run("FirstPairStoredWins", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		_, _, err := s.SSO.FindSAMLKeyPair(ctx)
		wantErr(t, err, auth.ErrNotFound)
		k, c, err := s.SSO.PutSAMLKeyPair(ctx, []byte(key1), []byte(cert1))
		must(t, err)
		if !same(k, key1) || !same(c, cert1) {
			t.Fatalf("put returned %q, %q", k, c)
		}
		k, c, err = s.SSO.PutSAMLKeyPair(ctx, []byte(key2), []byte(cert2))
		must(t, err)
		if !same(k, key1) || !same(c, cert1) {
			t.Fatalf("second put returned %q, %q; want the first pair", k, c)
		}
		k, c, err = s.SSO.FindSAMLKeyPair(ctx)
		must(t, err)
		if !same(k, key1) || !same(c, cert1) {
			t.Fatalf("find returned %q, %q", k, c)
		}
	})
	t.Run("ConcurrentFirstStartsAgree", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		var mu sync.Mutex
		var keys []string
		raceSAML(t, 4, func() error {
			k, _, err := s.SSO.PutSAMLKeyPair(ctx, []byte("-----BEGIN PRIVATE KEY-----\n"+uuid.NewString()+"\n-----END PRIVATE KEY-----\n"), []byte(cert1))
			mu.Lock()
			keys = append(keys, string(bytes.TrimSpace(k)))
			mu.Unlock()
			return err
		})
		slices.Sort(keys)
		if distinct := slices.Compact(keys); len(distinct) != 1 {
			t.Fatalf("concurrent starts got %d different keys", len(distinct))
		}
	})
}
