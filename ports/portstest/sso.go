package portstest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// SSOStore is every SAML store port; both adapters implement them on one type.
type SSOStore interface {
	ports.SAMLProviderStore
	ports.SAMLIdentityStore
	ports.SAMLStateStore
	ports.SAMLKeyPairStore
}

func newSAMLProvider(domain string) auth.SAMLProvider {
	return auth.SAMLProvider{
		ID: uuid.New(), Domain: domain, EntityID: "https://idp." + domain + "/metadata",
		SSOURL: "https://idp." + domain + "/sso", Certificates: []string{"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"},
		CreatedAt: base, UpdatedAt: base,
	}
}

func sameSAMLProvider(a, b auth.SAMLProvider) bool {
	return a.ID == b.ID && a.Domain == b.Domain && a.EntityID == b.EntityID && a.SSOURL == b.SSOURL &&
		slices.Equal(a.Certificates, b.Certificates) && a.EnforceSSO == b.EnforceSSO &&
		a.AllowIdPInitiated == b.AllowIdPInitiated && a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

func testSSOProviders(t *testing.T, newStores func(t *testing.T) Stores) {
	ctx := context.Background()
	t.Run("CreatedIsFoundByIDDomainAndEntityID", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		p := newSAMLProvider("corp.example")
		p.Certificates = append(p.Certificates, "-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n")
		p.EnforceSSO, p.AllowIdPInitiated = true, true
		must(t, s.SSO.CreateSAMLProvider(ctx, p))
		got, err := s.SSO.FindSAMLProviderByID(ctx, p.ID)
		must(t, err)
		if !sameSAMLProvider(got, p) {
			t.Fatalf("by ID = %+v, want %+v", got, p)
		}
		got, err = s.SSO.FindSAMLProviderByDomain(ctx, "corp.example")
		must(t, err)
		if !sameSAMLProvider(got, p) {
			t.Fatalf("by domain = %+v", got)
		}
		list, err := s.SSO.ListSAMLProvidersByEntityID(ctx, p.EntityID)
		must(t, err)
		if len(list) != 1 || !sameSAMLProvider(list[0], p) {
			t.Fatalf("by entity ID = %+v", list)
		}
	})
	t.Run("SecondProviderForADomainIsRefused", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		must(t, s.SSO.CreateSAMLProvider(ctx, newSAMLProvider("corp.example")))
		wantErr(t, s.SSO.CreateSAMLProvider(ctx, newSAMLProvider("corp.example")), auth.ErrDomainTaken)
	})
	t.Run("UnknownIsNotFound", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		_, err := s.SSO.FindSAMLProviderByID(ctx, uuid.New())
		wantErr(t, err, auth.ErrNotFound)
		_, err = s.SSO.FindSAMLProviderByDomain(ctx, "nobody.example")
		wantErr(t, err, auth.ErrNotFound)
		wantErr(t, s.SSO.UpdateSAMLProvider(ctx, newSAMLProvider("nobody.example")), auth.ErrNotFound)
		wantErr(t, s.SSO.DeleteSAMLProvider(ctx, uuid.New()), auth.ErrNotFound)
		list, err := s.SSO.ListSAMLProvidersByEntityID(ctx, "https://nobody.example")
		must(t, err)
		if list == nil || len(list) != 0 {
			t.Fatalf("by unknown entity ID = %#v, want an empty list", list)
		}
	})
	t.Run("ListsAreOrderedByDomainAndFilteredByEntityID", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		b, a, c := newSAMLProvider("b.example"), newSAMLProvider("a.example"), newSAMLProvider("c.example")
		c.EntityID = b.EntityID // one tenant serving two domains
		for _, p := range []auth.SAMLProvider{b, a, c} {
			must(t, s.SSO.CreateSAMLProvider(ctx, p))
		}
		all, err := s.SSO.ListSAMLProviders(ctx)
		must(t, err)
		if len(all) != 3 || all[0].ID != a.ID || all[1].ID != b.ID || all[2].ID != c.ID {
			t.Fatalf("list = %+v", all)
		}
		shared, err := s.SSO.ListSAMLProvidersByEntityID(ctx, b.EntityID)
		must(t, err)
		if len(shared) != 2 || shared[0].ID != b.ID || shared[1].ID != c.ID {
			t.Fatalf("by shared entity ID = %+v", shared)
		}
	})
	t.Run("UpdateKeepsIDDomainAndCreation", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		p := newSAMLProvider("corp.example")
		must(t, s.SSO.CreateSAMLProvider(ctx, p))
		ch := p
		ch.Domain, ch.CreatedAt = "other.example", base.Add(time.Hour)
		ch.EntityID, ch.SSOURL = "https://new-idp.example/md", "https://new-idp.example/sso"
		ch.Certificates = []string{"new-a", "new-b"}
		ch.EnforceSSO, ch.AllowIdPInitiated, ch.UpdatedAt = true, true, base.Add(2*time.Hour)
		must(t, s.SSO.UpdateSAMLProvider(ctx, ch))
		got, err := s.SSO.FindSAMLProviderByID(ctx, p.ID)
		must(t, err)
		want := ch
		want.Domain, want.CreatedAt = p.Domain, p.CreatedAt
		if !sameSAMLProvider(got, want) {
			t.Fatalf("after update = %+v, want %+v", got, want)
		}
	})
	t.Run("DeleteTakesIdentitiesAndRequestsAlong", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		u := newUser("deleted-provider@corp.example")
		must(t, s.Users.CreateUser(ctx, u))
		p := newSAMLProvider("corp.example")
		must(t, s.SSO.CreateSAMLProvider(ctx, p))
		id := newSAMLIdentity(u.ID, p.ID, "n-1")
		if created, err := s.SSO.CreateSAMLIdentity(ctx, id); err != nil || !created {
			t.Fatalf("CreateSAMLIdentity = %v, %v", created, err)
		}
		must(t, s.SSO.CreateSAMLRequest(ctx, newSAMLRequest(p.ID, "_req-deleted")))
		must(t, s.SSO.DeleteSAMLProvider(ctx, p.ID))
		_, err := s.SSO.FindSAMLIdentity(ctx, p.ID, "n-1")
		wantErr(t, err, auth.ErrNotFound)
		_, err = s.SSO.TakeSAMLRequest(ctx, "_req-deleted")
		wantErr(t, err, auth.ErrNotFound)
		if _, err := s.Users.FindUserByID(ctx, u.ID); err != nil {
			t.Fatalf("the user went with the provider: %v", err)
		}
	})
}

func newSAMLIdentity(userID, providerID uuid.UUID, nameID string) auth.Identity {
	return auth.Identity{ID: uuid.New(), UserID: userID, ProviderID: providerID, NameID: nameID,
		CreatedAt: base, LastLoginAt: base}
}

func testSSOIdentities(t *testing.T, newStores func(t *testing.T) Stores) {
	ctx := context.Background()
	setup := func(t *testing.T) (Stores, auth.User, auth.SAMLProvider) {
		s := newStores(t)
		u := newUser("identity-" + uuid.NewString()[:8] + "@corp.example")
		must(t, s.Users.CreateUser(ctx, u))
		p := newSAMLProvider("corp.example")
		must(t, s.SSO.CreateSAMLProvider(ctx, p))
		return s, u, p
	}
	t.Run("CreatedIsFoundByProviderAndExactNameID", func(t *testing.T) {
		t.Parallel()
		s, u, p := setup(t)
		id := newSAMLIdentity(u.ID, p.ID, "Alice-7F3A")
		created, err := s.SSO.CreateSAMLIdentity(ctx, id)
		must(t, err)
		if !created {
			t.Fatal("created = false for a new identity")
		}
		got, err := s.SSO.FindSAMLIdentity(ctx, p.ID, "Alice-7F3A")
		must(t, err)
		if got.ID != id.ID || got.UserID != u.ID || got.ProviderID != p.ID || got.NameID != id.NameID ||
			!got.CreatedAt.Equal(base) || !got.LastLoginAt.Equal(base) {
			t.Fatalf("identity = %+v, want %+v", got, id)
		}
		_, err = s.SSO.FindSAMLIdentity(ctx, p.ID, "alice-7f3a")
		wantErr(t, err, auth.ErrNotFound)
		_, err = s.SSO.FindSAMLIdentity(ctx, uuid.New(), "Alice-7F3A")
		wantErr(t, err, auth.ErrNotFound)
	})
	t.Run("SameNameIDAtTheSameProviderIsNotCreatedTwice", func(t *testing.T) {
		t.Parallel()
		s, u, p := setup(t)
		first := newSAMLIdentity(u.ID, p.ID, "n-1")
		if created, err := s.SSO.CreateSAMLIdentity(ctx, first); err != nil || !created {
			t.Fatalf("first = %v, %v", created, err)
		}
		// Inside a transaction, to prove the conflict does not abort it.
		must(t, s.Tx.WithinTx(ctx, func(ctx context.Context) error {
			created, err := s.SSO.CreateSAMLIdentity(ctx, newSAMLIdentity(u.ID, p.ID, "n-1"))
			if err != nil || created {
				t.Fatalf("second = %v, %v; want false, nil", created, err)
			}
			_, err = s.SSO.FindSAMLIdentity(ctx, p.ID, "n-1")
			return err
		}))
		got, err := s.SSO.FindSAMLIdentity(ctx, p.ID, "n-1")
		must(t, err)
		if got.ID != first.ID {
			t.Fatalf("identity = %v, want the first %v", got.ID, first.ID)
		}
		other := newSAMLProvider("other.example")
		must(t, s.SSO.CreateSAMLProvider(ctx, other))
		if created, err := s.SSO.CreateSAMLIdentity(ctx, newSAMLIdentity(u.ID, other.ID, "n-1")); err != nil || !created {
			t.Fatalf("same NameID at another provider = %v, %v", created, err)
		}
	})
	t.Run("ListedByUserMostRecentLoginFirst", func(t *testing.T) {
		t.Parallel()
		s, u, p := setup(t)
		older, newer := newSAMLIdentity(u.ID, p.ID, "older"), newSAMLIdentity(u.ID, p.ID, "newer")
		for _, i := range []auth.Identity{older, newer} {
			if _, err := s.SSO.CreateSAMLIdentity(ctx, i); err != nil {
				t.Fatal(err)
			}
		}
		must(t, s.SSO.TouchSAMLIdentity(ctx, newer.ID, base.Add(time.Hour)))
		list, err := s.SSO.ListSAMLIdentitiesByUser(ctx, u.ID)
		must(t, err)
		if len(list) != 2 || list[0].ID != newer.ID || !list[0].LastLoginAt.Equal(base.Add(time.Hour)) || list[1].ID != older.ID {
			t.Fatalf("list = %+v", list)
		}
		none, err := s.SSO.ListSAMLIdentitiesByUser(ctx, uuid.New())
		must(t, err)
		if none == nil || len(none) != 0 {
			t.Fatalf("list of a user without identities = %#v", none)
		}
		wantErr(t, s.SSO.TouchSAMLIdentity(ctx, uuid.New(), base), auth.ErrNotFound)
	})
}
