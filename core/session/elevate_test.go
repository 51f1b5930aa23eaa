package session_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
)

func TestElevate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("RotatesTheTokenAndRecordsTheStepUp", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		s := b.start(t)
		b.clock.Advance(20 * time.Minute)
		up, err := b.svc.Elevate(ctx, s.Session.ID, auth.MethodOTP)
		if err != nil {
			t.Fatal(err)
		}
		if up.Token == s.Token || len(up.Token) != 43 {
			t.Fatalf("token not rotated: %q", up.Token)
		}
		if _, _, err := b.svc.Authenticate(ctx, s.Token); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("the old token still works: %v", err)
		}
		got, _, err := b.svc.Authenticate(ctx, up.Token)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != s.Session.ID || !got.ReauthenticatedAt.Equal(b.clock.Now()) ||
			!slices.Equal(got.AMR, []string{auth.MethodPassword, auth.MethodOTP}) || got.AAL() != "aal2" {
			t.Fatalf("elevated session = %+v", got)
		}
		if up.Session.ID != got.ID || !slices.Equal(up.Session.AMR, got.AMR) {
			t.Fatalf("returned session %+v differs from the stored %+v", up.Session, got)
		}
	})
	t.Run("RepeatedMethodIsRecordedOnce", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		s := b.start(t)
		up, err := b.svc.Elevate(ctx, s.Session.ID, auth.MethodPassword)
		if err != nil || !slices.Equal(up.Session.AMR, []string{auth.MethodPassword}) {
			t.Fatalf("Elevate = %v, %v", up.Session.AMR, err)
		}
	})
	t.Run("RevokedOrUnknownSessionIsNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		s := b.start(t)
		if err := b.svc.Logout(ctx, s.Session); err != nil {
			t.Fatal(err)
		}
		for _, id := range []uuid.UUID{s.Session.ID, uuid.New()} {
			if _, err := b.svc.Elevate(ctx, id, auth.MethodOTP); !errors.Is(err, auth.ErrNotFound) {
				t.Errorf("Elevate(%v) = %v, want auth.ErrNotFound", id, err)
			}
		}
	})
}
