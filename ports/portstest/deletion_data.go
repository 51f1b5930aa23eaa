package portstest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// fillUser gives u a row in every store a hard delete must empty.
func fillUser(t *testing.T, s DeletionStores, u auth.User, provider auth.SAMLProvider) {
	t.Helper()
	ctx := context.Background()
	must(t, s.Sessions.CreateSession(ctx, newSession(u.ID, "fill-"+u.ID.String()[:8], base)))
	must(t, s.MFA.PutTOTPCredential(ctx, ports.TOTPCredential{UserID: u.ID, SealedSecret: []byte("sealed"), CreatedAt: base}))
	must(t, s.MFA.ConfirmTOTPCredential(ctx, u.ID, 1, base))
	must(t, s.MFA.ReplaceRecoveryCodes(ctx, u.ID, [][]byte{[]byte("code-1-" + u.ID.String()), []byte("code-2-" + u.ID.String())}, base))
	must(t, s.Changes.CreateEmailChange(ctx, ports.EmailChange{ID: uuid.New(), UserID: u.ID, OldEmail: "old-" + u.Email,
		NewEmail: u.Email, ChangedAt: base}))
	must(t, s.Requests.RecordEmailRequest(ctx, ports.EmailRequest{UserID: u.ID, Purpose: ports.PurposePasswordReset,
		CreatedAt: base}))
	_, err := s.Identities.CreateSAMLIdentity(ctx, auth.Identity{ID: uuid.New(), UserID: u.ID, ProviderID: provider.ID,
		NameID: "name-" + u.ID.String(), CreatedAt: base, LastLoginAt: base})
	must(t, err)
	must(t, s.Events.CreateSecurityEvent(ctx, newEvent(u.ID, ports.EventLogin, base)))
	must(t, s.Deletion.SaveDeletionRequest(ctx, newDeletionRequest(u.ID, 1)))
}

func testDeleteUserData(t *testing.T, newStores func(t *testing.T) DeletionStores) {
	ctx := context.Background()
	setup := func(t *testing.T) (DeletionStores, auth.User, auth.User) {
		s := newStores(t)
		p := deletionProvider("delete-" + uuid.NewString()[:8] + ".example")
		must(t, s.Providers.CreateSAMLProvider(ctx, p))
		gone, kept := newUser("Gone@Example.com"), newUser("kept@example.com")
		for _, u := range []auth.User{gone, kept} {
			must(t, s.Users.CreateUser(ctx, u))
			fillUser(t, s, u, p)
		}
		return s, gone, kept
	}
	t.Run("RemovesEveryRowOfTheUserOnly", func(t *testing.T) {
		t.Parallel()
		s, gone, kept := setup(t)
		keptBefore, err := s.Data.ExportUserData(ctx, kept.ID)
		must(t, err)
		var email string
		must(t, s.Tx.WithinTx(ctx, func(ctx context.Context) error {
			var err error
			email, err = s.Deletion.DeleteUserData(ctx, gone.ID, 0)
			return err
		}))
		if email != gone.Email {
			t.Fatalf("returned address %q, want %q as stored", email, gone.Email)
		}
		_, err = s.Users.FindUserByID(ctx, gone.ID)
		wantErr(t, err, auth.ErrNotFound)
		_, err = s.Data.ExportUserData(ctx, gone.ID)
		wantErr(t, err, auth.ErrNotFound)
		_, err = s.MFA.FindTOTPCredential(ctx, gone.ID)
		wantErr(t, err, auth.ErrNotFound)
		_, err = s.Deletion.FindDeletionRequestByUser(ctx, gone.ID)
		wantErr(t, err, auth.ErrNotFound)
		if n, err := s.MFA.CountRecoveryCodes(ctx, gone.ID); err != nil || n != 0 {
			t.Fatalf("%d recovery codes left (%v)", n, err)
		}
		if ids, err := s.Identities.ListSAMLIdentitiesByUser(ctx, gone.ID); err != nil || len(ids) != 0 {
			t.Fatalf("%d identities left (%v)", len(ids), err)
		}
		if ev, err := s.Events.ListSecurityEventsByUser(ctx, gone.ID, 0); err != nil || len(ev) != 0 {
			t.Fatalf("%d events left (%v)", len(ev), err)
		}
		if times, err := s.Requests.EmailRequestTimesByUser(ctx, gone.ID, ports.PurposePasswordReset, base); err != nil || len(times) != 0 {
			t.Fatalf("%d email requests left (%v)", len(times), err)
		}
		keptAfter, err := s.Data.ExportUserData(ctx, kept.ID)
		must(t, err)
		if len(keptAfter.Sessions) != len(keptBefore.Sessions) || len(keptAfter.Events) != len(keptBefore.Events) ||
			len(keptAfter.Identities) != 1 || keptAfter.RecoveryCodesLeft != 2 || keptAfter.TOTPEnabledAt == nil ||
			len(keptAfter.EmailChanges) != 1 || len(keptAfter.EmailRequests) != 1 || keptAfter.Deletion == nil {
			t.Fatalf("the other user's data changed: %+v", keptAfter)
		}
	})
	t.Run("SecondRunFindsNoUser", func(t *testing.T) {
		t.Parallel()
		s, gone, _ := setup(t)
		run := func() error {
			return s.Tx.WithinTx(ctx, func(ctx context.Context) error {
				_, err := s.Deletion.DeleteUserData(ctx, gone.ID, 0)
				return err
			})
		}
		must(t, run())
		wantErr(t, run(), auth.ErrNotFound)
	})
	t.Run("RollbackKeepsEverything", func(t *testing.T) {
		t.Parallel()
		s, gone, _ := setup(t)
		boom := errors.New("boom")
		err := s.Tx.WithinTx(ctx, func(ctx context.Context) error {
			if _, err := s.Deletion.DeleteUserData(ctx, gone.ID, 0); err != nil {
				return err
			}
			return boom
		})
		wantErr(t, err, boom)
		d, err := s.Data.ExportUserData(ctx, gone.ID)
		must(t, err)
		if len(d.Sessions) != 1 || len(d.Events) != 1 || len(d.Identities) != 1 || d.Deletion == nil {
			t.Fatalf("a rolled-back delete lost data: %+v", d)
		}
	})
	t.Run("OutsideATransactionIsRefused", func(t *testing.T) {
		t.Parallel()
		s, gone, _ := setup(t)
		if _, err := s.Deletion.DeleteUserData(ctx, gone.ID, 0); err == nil {
			t.Fatal("a hard delete ran outside a transaction, where its statements could not commit together")
		}
		_, err := s.Users.FindUserByID(ctx, gone.ID)
		must(t, err)
	})
}

func testExportUserData(t *testing.T, newStores func(t *testing.T) DeletionStores) {
	ctx := context.Background()
	t.Run("HoldsEverythingButSecrets", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		p := deletionProvider("export-" + uuid.NewString()[:8] + ".example")
		must(t, s.Providers.CreateSAMLProvider(ctx, p))
		u := newUser("export@example.com")
		must(t, s.Users.CreateUser(ctx, u))
		fillUser(t, s, u, p)
		revoked := newSession(u.ID, "revoked-one", base.Add(time.Minute))
		revoked.CreatedAt = base.Add(time.Minute)
		must(t, s.Sessions.CreateSession(ctx, revoked))
		must(t, s.Sessions.RevokeSession(ctx, u.ID, revoked.ID, base.Add(time.Hour)))
		must(t, s.MFA.UseRecoveryCode(ctx, u.ID, []byte("code-1-"+u.ID.String()), base))

		d, err := s.Data.ExportUserData(ctx, u.ID)
		must(t, err)
		if d.User.ID != u.ID || d.User.Email != u.Email || !d.User.HasPassword() {
			t.Fatalf("user = %+v", d.User)
		}
		if len(d.Sessions) != 2 || d.Sessions[0].ID != revoked.ID || d.Sessions[0].RevokedAt == nil {
			t.Fatalf("sessions = %+v, want both, the revoked (newer) one first", d.Sessions)
		}
		for _, sess := range d.Sessions {
			if len(sess.TokenHash) != 0 {
				t.Fatal("an exported session carries its token hash")
			}
		}
		if len(d.Events) != 1 || d.Events[0].Kind != ports.EventLogin {
			t.Fatalf("events = %+v", d.Events)
		}
		if len(d.Identities) != 1 || d.Identities[0].ProviderDomain != p.Domain || d.Identities[0].NameID != "name-"+u.ID.String() {
			t.Fatalf("identities = %+v", d.Identities)
		}
		if d.TOTPEnabledAt == nil || !d.TOTPEnabledAt.Equal(base) || d.RecoveryCodesLeft != 1 {
			t.Fatalf("mfa = %v, %d codes left; want enabled at base, 1 left", d.TOTPEnabledAt, d.RecoveryCodesLeft)
		}
		if len(d.EmailChanges) != 1 || d.EmailChanges[0].OldEmail != "old-"+u.Email {
			t.Fatalf("email changes = %+v", d.EmailChanges)
		}
		if len(d.EmailRequests) != 1 || d.EmailRequests[0].Purpose != ports.PurposePasswordReset {
			t.Fatalf("email requests = %+v", d.EmailRequests)
		}
		if d.Deletion == nil || d.Deletion.UserID != u.ID || d.User.DeletionAt == nil {
			t.Fatalf("deletion = %+v, user.DeletionAt = %v", d.Deletion, d.User.DeletionAt)
		}
	})
	t.Run("EmptyListsAreEmptyNotNil", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		u := newUser("bare@example.com")
		must(t, s.Users.CreateUser(ctx, u))
		d, err := s.Data.ExportUserData(ctx, u.ID)
		must(t, err)
		if d.Sessions == nil || d.Events == nil || d.Identities == nil || d.EmailChanges == nil || d.EmailRequests == nil {
			t.Fatalf("a list is nil: %+v", d)
		}
		if d.TOTPEnabledAt != nil || d.RecoveryCodesLeft != 0 || d.Deletion != nil {
			t.Fatalf("a bare account exports %+v", d)
		}
	})
	t.Run("UnknownUserIsNotFound", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		_, err := s.Data.ExportUserData(ctx, uuid.New())
		wantErr(t, err, auth.ErrNotFound)
	})
}
