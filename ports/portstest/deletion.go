package portstest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// DeletionStores is one fresh, empty set of the stores the deletion and
// activity capabilities use, with the stores whose rows a hard delete must
// remove.
type DeletionStores struct {
	Users    ports.UserStore
	Sessions ports.SessionStore
	MFA      ports.MFAStore
	Changes  ports.EmailChangeStore
	Requests ports.EmailRequestLog
	// Providers and Identities are the SAML stores.
	Providers  ports.SAMLProviderStore
	Identities ports.SAMLIdentityStore
	Events     ports.SecurityEventStore
	Deletion   ports.DeletionStore
	Data       ports.UserDataStore
	Tx         ports.TxRunner
}

// RunDeletion runs the deletion and activity stores' suite; newStores must
// return empty stores for each call.
func RunDeletion(t *testing.T, newStores func(t *testing.T) DeletionStores) {
	t.Run("DeletionRequests", func(t *testing.T) { t.Parallel(); testDeletionRequests(t, newStores) })
	t.Run("DeleteUserData", func(t *testing.T) { t.Parallel(); testDeleteUserData(t, newStores) })
	t.Run("DeletionNotices", func(t *testing.T) { t.Parallel(); testDeletionNotices(t, newStores) })
	t.Run("ExportUserData", func(t *testing.T) { t.Parallel(); testExportUserData(t, newStores) })
	t.Run("SecurityEvents", func(t *testing.T) { t.Parallel(); testSecurityEvents(t, newStores) })
}

// deletionProvider is a SAML provider for identities to hang on.
func deletionProvider(domain string) auth.SAMLProvider {
	return auth.SAMLProvider{ID: uuid.New(), Domain: domain, EntityID: "https://idp." + domain + "/metadata",
		SSOURL: "https://idp." + domain + "/sso", Certificates: []string{"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"},
		CreatedAt: base, UpdatedAt: base}
}

func newDeletionRequest(userID uuid.UUID, jobID int64) ports.DeletionRequest {
	return ports.DeletionRequest{ID: uuid.New(), UserID: userID, RequestedAt: base,
		ExecuteAt: base.Add(30 * 24 * time.Hour), JobID: jobID}
}

func sameRequest(a, b ports.DeletionRequest) bool {
	return a.ID == b.ID && a.UserID == b.UserID && a.RequestedAt.Equal(b.RequestedAt) && a.ExecuteAt.Equal(b.ExecuteAt) &&
		a.Cancelled == b.Cancelled && a.JobID == b.JobID &&
		(a.CancelledAt == nil) == (b.CancelledAt == nil) && (a.CancelledAt == nil || a.CancelledAt.Equal(*b.CancelledAt))
}

func testDeletionRequests(t *testing.T, newStores func(t *testing.T) DeletionStores) {
	ctx := context.Background()
	setup := func(t *testing.T) (DeletionStores, auth.User) {
		s := newStores(t)
		u := newUser("deletion-" + uuid.NewString()[:8] + "@example.com")
		must(t, s.Users.CreateUser(ctx, u))
		return s, u
	}
	t.Run("SavedIsFoundByUserAndID", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		_, err := s.Deletion.FindDeletionRequestByUser(ctx, u.ID)
		wantErr(t, err, auth.ErrNotFound)
		r := newDeletionRequest(u.ID, 7)
		must(t, s.Deletion.SaveDeletionRequest(ctx, r))
		byUser, err := s.Deletion.FindDeletionRequestByUser(ctx, u.ID)
		must(t, err)
		byID, err := s.Deletion.FindDeletionRequest(ctx, r.ID)
		must(t, err)
		if !sameRequest(byUser, r) || !sameRequest(byID, r) {
			t.Fatalf("found %+v and %+v, want %+v", byUser, byID, r)
		}
		_, err = s.Deletion.FindDeletionRequest(ctx, uuid.New())
		wantErr(t, err, auth.ErrNotFound)
	})
	t.Run("SecondPendingIsRefused", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		r := newDeletionRequest(u.ID, 1)
		must(t, s.Deletion.SaveDeletionRequest(ctx, r))
		wantErr(t, s.Deletion.SaveDeletionRequest(ctx, newDeletionRequest(u.ID, 2)), auth.ErrDeletionPending)
		wantErr(t, s.Deletion.SaveDeletionRequest(ctx, r), auth.ErrDeletionPending)
		got, err := s.Deletion.FindDeletionRequestByUser(ctx, u.ID)
		must(t, err)
		if !sameRequest(got, r) {
			t.Fatalf("a refused save changed the request to %+v", got)
		}
	})
	t.Run("CancelledIsKeptAndRequestedAgainUnderItsID", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		r := newDeletionRequest(u.ID, 1)
		must(t, s.Deletion.SaveDeletionRequest(ctx, r))
		at := base.Add(time.Hour)
		cancelled, err := s.Deletion.CancelDeletionRequest(ctx, u.ID, at)
		must(t, err)
		want := r
		want.Cancelled, want.CancelledAt = true, &at
		if !sameRequest(cancelled, want) {
			t.Fatalf("cancel returned %+v, want %+v", cancelled, want)
		}
		_, err = s.Deletion.CancelDeletionRequest(ctx, u.ID, at)
		wantErr(t, err, auth.ErrNotFound)
		got, err := s.Deletion.FindDeletionRequestByUser(ctx, u.ID)
		must(t, err)
		if !sameRequest(got, want) {
			t.Fatalf("found %+v, want the cancelled request", got)
		}
		again := r
		again.RequestedAt, again.ExecuteAt, again.JobID = base.Add(2*time.Hour), base.Add(40*24*time.Hour), 2
		must(t, s.Deletion.SaveDeletionRequest(ctx, again))
		got, err = s.Deletion.FindDeletionRequest(ctx, r.ID)
		must(t, err)
		if !sameRequest(got, again) {
			t.Fatalf("requested again: %+v, want %+v", got, again)
		}
	})
	t.Run("NothingPendingCannotBeCancelled", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		_, err := s.Deletion.CancelDeletionRequest(ctx, u.ID, base)
		wantErr(t, err, auth.ErrNotFound)
	})
	t.Run("UserLookupsTellThePendingDeletion", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		sess := newSession(u.ID, "pending", base)
		must(t, s.Sessions.CreateSession(ctx, sess))
		lookups := func() []auth.User {
			byID, err := s.Users.FindUserByID(ctx, u.ID)
			must(t, err)
			byEmail, err := s.Users.FindUserByEmail(ctx, u.Email)
			must(t, err)
			_, bySession, err := s.Sessions.FindSessionByTokenHash(ctx, sess.TokenHash)
			must(t, err)
			return []auth.User{byID, byEmail, bySession}
		}
		for _, got := range lookups() {
			if got.DeletionAt != nil {
				t.Fatalf("no deletion pending, but a lookup says %v", got.DeletionAt)
			}
		}
		r := newDeletionRequest(u.ID, 1)
		must(t, s.Deletion.SaveDeletionRequest(ctx, r))
		for i, got := range lookups() {
			if got.DeletionAt == nil || !got.DeletionAt.Equal(r.ExecuteAt) {
				t.Fatalf("lookup %d: DeletionAt = %v, want %v", i, got.DeletionAt, r.ExecuteAt)
			}
		}
		_, err := s.Deletion.CancelDeletionRequest(ctx, u.ID, base)
		must(t, err)
		for i, got := range lookups() {
			if got.DeletionAt != nil {
				t.Fatalf("lookup %d: cancelled, but DeletionAt = %v", i, got.DeletionAt)
			}
		}
	})
	t.Run("OfConcurrentRequestsOneIsSaved", func(t *testing.T) {
		t.Parallel()
		s, u := setup(t)
		const n = 8
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				errs <- s.Tx.WithinTx(ctx, func(ctx context.Context) error {
					if _, err := s.Deletion.FindDeletionRequestByUser(ctx, u.ID); !errors.Is(err, auth.ErrNotFound) {
						return auth.ErrDeletionPending
					}
					return s.Deletion.SaveDeletionRequest(ctx, newDeletionRequest(u.ID, int64(i)))
				})
			})
		}
		wg.Wait()
		close(errs)
		saved := 0
		for err := range errs {
			switch {
			case err == nil:
				saved++
			case !errors.Is(err, auth.ErrDeletionPending):
				t.Fatalf("unexpected error: %v", err)
			}
		}
		if saved != 1 {
			t.Fatalf("%d requests saved, want 1", saved)
		}
	})
}

func testDeletionNotices(t *testing.T, newStores func(t *testing.T) DeletionStores) {
	ctx := context.Background()
	t.Run("StoredFoundAndForgotten", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		n := ports.DeletionNotice{ID: uuid.New(), Email: "Bye@Example.com", CreatedAt: base}
		must(t, s.Deletion.CreateDeletionNotice(ctx, n))
		got, err := s.Deletion.FindDeletionNotice(ctx, n.ID)
		must(t, err)
		if got.ID != n.ID || got.Email != n.Email || !got.CreatedAt.Equal(base) {
			t.Fatalf("notice = %+v, want %+v", got, n)
		}
		must(t, s.Deletion.DeleteDeletionNotice(ctx, n.ID))
		_, err = s.Deletion.FindDeletionNotice(ctx, n.ID)
		wantErr(t, err, auth.ErrNotFound)
		must(t, s.Deletion.DeleteDeletionNotice(ctx, n.ID))
	})
}
