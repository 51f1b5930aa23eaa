package session_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/core/session"
	"authd/ports"
)

// countingMetrics is a ports.SessionMetrics that remembers what it was told.
type countingMetrics struct {
	mu      sync.Mutex
	started []string
	revoked map[ports.RevokeReason]int
}

func (m *countingMetrics) SessionStarted(_ context.Context, amr []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.started = append(m.started, strings.Join(amr, "+"))
}

func (m *countingMetrics) SessionsRevoked(_ context.Context, reason ports.RevokeReason, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.revoked == nil {
		m.revoked = map[ports.RevokeReason]int{}
	}
	m.revoked[reason] += n
}

func (m *countingMetrics) counts() map[ports.RevokeReason]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.revoked
}

func setupCounted(t *testing.T) (testBundle, *countingMetrics) {
	t.Helper()
	m := &countingMetrics{}
	return setup(t, func(d *session.Deps) { d.Metrics = m }), m
}

func TestMetricsCountEachRevocationUnderItsReason(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("StartCountsTheMethods", func(t *testing.T) {
		t.Parallel()
		b, m := setupCounted(t)
		b.start(t)
		if _, err := b.svc.Start(ctx, b.user.ID, auth.Client{}, auth.MethodPassword, auth.MethodOTP); err != nil {
			t.Fatal(err)
		}
		if want := []string{"pwd", "pwd+otp"}; !slices.Equal(m.started, want) {
			t.Fatalf("started = %v, want %v", m.started, want)
		}
	})
	t.Run("LogoutCountsOnceEvenWhenRepeated", func(t *testing.T) {
		t.Parallel()
		b, m := setupCounted(t)
		s := b.start(t)
		for range 2 {
			if err := b.svc.Logout(ctx, s.Session); err != nil {
				t.Fatal(err)
			}
		}
		if got := m.counts(); got[ports.RevokedLogout] != 1 || len(got) != 1 {
			t.Fatalf("revoked = %v, want logout 1", got)
		}
	})
	t.Run("RevokeOneCountsAsTheUsers", func(t *testing.T) {
		t.Parallel()
		b, m := setupCounted(t)
		s := b.start(t)
		if err := b.svc.Revoke(ctx, b.user.ID, s.Session.ID); err != nil {
			t.Fatal(err)
		}
		if err := b.svc.Revoke(ctx, b.user.ID, uuid.New()); err == nil {
			t.Fatal("revoking an unknown session succeeded")
		}
		if got := m.counts(); got[ports.RevokedByUser] != 1 || len(got) != 1 {
			t.Fatalf("revoked = %v, want user 1", got)
		}
	})
	t.Run("RevokeOthersAndAllCountWhatTheyEnded", func(t *testing.T) {
		t.Parallel()
		b, m := setupCounted(t)
		keep := b.start(t)
		b.start(t)
		b.start(t)
		if n, err := b.svc.RevokeOthers(ctx, b.user.ID, keep.Session.ID); err != nil || n != 2 {
			t.Fatalf("RevokeOthers = %d, %v", n, err)
		}
		if n, err := b.svc.RevokeOthers(ctx, b.user.ID, keep.Session.ID); err != nil || n != 0 {
			t.Fatalf("RevokeOthers again = %d, %v", n, err)
		}
		if n, err := b.svc.RevokeAll(ctx, b.user.ID); err != nil || n != 1 {
			t.Fatalf("RevokeAll = %d, %v", n, err)
		}
		want := map[ports.RevokeReason]int{ports.RevokedOthers: 2, ports.RevokedAll: 1}
		if got := m.counts(); len(got) != len(want) || got[ports.RevokedOthers] != 2 || got[ports.RevokedAll] != 1 {
			t.Fatalf("revoked = %v, want %v", got, want)
		}
	})
	t.Run("RevokerForCountsUnderTheCallersReasons", func(t *testing.T) {
		t.Parallel()
		b, m := setupCounted(t)
		keep := b.start(t)
		b.start(t)
		r := b.svc.RevokerFor(ports.RevokedPasswordReset, ports.RevokedPasswordChange)
		if n, err := r.RevokeOthers(ctx, b.user.ID, keep.Session.ID); err != nil || n != 1 {
			t.Fatalf("RevokeOthers = %d, %v", n, err)
		}
		if n, err := r.RevokeAll(ctx, b.user.ID); err != nil || n != 1 {
			t.Fatalf("RevokeAll = %d, %v", n, err)
		}
		if got := m.counts(); got[ports.RevokedPasswordChange] != 1 || got[ports.RevokedPasswordReset] != 1 || len(got) != 2 {
			t.Fatalf("revoked = %v, want password_change 1, password_reset 1", got)
		}
	})
	t.Run("ASignInThatReplacesASessionCountsIt", func(t *testing.T) {
		t.Parallel()
		b, m := setupCounted(t)
		old := b.start(t)
		if _, err := b.svc.Start(session.Replacing(ctx, old.Session), b.user.ID, auth.Client{}, auth.MethodPassword); err != nil {
			t.Fatal(err)
		}
		// Already gone: nothing more to count.
		if _, err := b.svc.Start(session.Replacing(ctx, old.Session), b.user.ID, auth.Client{}, auth.MethodPassword); err != nil {
			t.Fatal(err)
		}
		if got := m.counts(); got[ports.RevokedReplaced] != 1 || len(got) != 1 {
			t.Fatalf("revoked = %v, want replaced 1", got)
		}
	})
}
