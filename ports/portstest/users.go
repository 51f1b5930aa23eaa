package portstest

import (
	"context"
	"testing"

	"time"

	"github.com/google/uuid"

	"authd/core/auth"
)

func testUsers(t *testing.T, newStores func(t *testing.T) Stores) {
	ctx := context.Background()
	t.Run("CreatedUserIsFoundByIDAndEmailInAnyCase", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		u := newUser("Alice@Example.com")
		must(t, s.Users.CreateUser(ctx, u))
		got, err := s.Users.FindUserByID(ctx, u.ID)
		must(t, err)
		if got.Email != "Alice@Example.com" || got.PasswordHash != u.PasswordHash || got.EmailVerified ||
			!got.CreatedAt.Equal(base) {
			t.Fatalf("FindUserByID = %+v, want %+v", got, u)
		}
		got, err = s.Users.FindUserByEmail(ctx, "alice@EXAMPLE.COM")
		must(t, err)
		if got.ID != u.ID {
			t.Fatalf("FindUserByEmail id = %v, want %v", got.ID, u.ID)
		}
	})
	t.Run("SameEmailInOtherCaseIsTaken", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		must(t, s.Users.CreateUser(ctx, newUser("bob@example.com")))
		wantErr(t, s.Users.CreateUser(ctx, newUser("BOB@example.com")), auth.ErrEmailTaken)
	})
	t.Run("UnknownUserIsNotFound", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		_, err := s.Users.FindUserByID(ctx, uuid.New())
		wantErr(t, err, auth.ErrNotFound)
		_, err = s.Users.FindUserByEmail(ctx, "nobody@example.com")
		wantErr(t, err, auth.ErrNotFound)
		wantErr(t, s.Users.UpdatePasswordHash(ctx, uuid.New(), "x", base), auth.ErrNotFound)
	})
	t.Run("UserWithoutPasswordHasNone", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		u := newUser("sso@example.com")
		u.PasswordHash = ""
		must(t, s.Users.CreateUser(ctx, u))
		got, err := s.Users.FindUserByID(ctx, u.ID)
		must(t, err)
		if got.HasPassword() {
			t.Fatalf("HasPassword = true for a user created without one")
		}
	})
	t.Run("PasswordHashIsUpdated", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		u := newUser("carol@example.com")
		must(t, s.Users.CreateUser(ctx, u))
		later := base.Add(time.Hour)
		must(t, s.Users.UpdatePasswordHash(ctx, u.ID, "$argon2id$new", later))
		got, err := s.Users.FindUserByID(ctx, u.ID)
		must(t, err)
		if got.PasswordHash != "$argon2id$new" || !got.UpdatedAt.Equal(later) {
			t.Fatalf("after update: hash %q updated_at %v", got.PasswordHash, got.UpdatedAt)
		}
	})
	testUserEmails(t, newStores)
}

func testUserEmails(t *testing.T, newStores func(t *testing.T) Stores) {
	ctx := context.Background()
	t.Run("VerifiedOnlyWhileTheAddressIsTheSame", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		u := newUser("Dora@Example.com")
		must(t, s.Users.CreateUser(ctx, u))
		wantErr(t, s.Users.SetEmailVerified(ctx, u.ID, "someone-else@example.com", base), auth.ErrNotFound)
		wantErr(t, s.Users.SetEmailVerified(ctx, uuid.New(), u.Email, base), auth.ErrNotFound)
		got, err := s.Users.FindUserByID(ctx, u.ID)
		must(t, err)
		if got.EmailVerified {
			t.Fatal("verified by a token for another address")
		}
		later := base.Add(time.Hour)
		must(t, s.Users.SetEmailVerified(ctx, u.ID, "dora@example.COM", later))
		got, err = s.Users.FindUserByID(ctx, u.ID)
		must(t, err)
		if !got.EmailVerified || !got.UpdatedAt.Equal(later) || got.Email != "Dora@Example.com" {
			t.Fatalf("after verify: %+v", got)
		}
	})
	t.Run("EmailIsUpdatedUnlessTaken", func(t *testing.T) {
		t.Parallel()
		s := newStores(t)
		u, other := newUser("erin@example.com"), newUser("frank@example.com")
		must(t, s.Users.CreateUser(ctx, u))
		must(t, s.Users.CreateUser(ctx, other))
		wantErr(t, s.Users.UpdateEmail(ctx, u.ID, "FRANK@example.com", true, base), auth.ErrEmailTaken)
		wantErr(t, s.Users.UpdateEmail(ctx, uuid.New(), "nobody@example.com", true, base), auth.ErrNotFound)
		later := base.Add(time.Hour)
		must(t, s.Users.UpdateEmail(ctx, u.ID, "Erin.New@example.com", true, later))
		got, err := s.Users.FindUserByEmail(ctx, "erin.new@example.com")
		must(t, err)
		if got.ID != u.ID || got.Email != "Erin.New@example.com" || !got.EmailVerified || !got.UpdatedAt.Equal(later) {
			t.Fatalf("after update: %+v", got)
		}
		_, err = s.Users.FindUserByEmail(ctx, "erin@example.com")
		wantErr(t, err, auth.ErrNotFound)
		// Its own address in another case is not taken by itself.
		must(t, s.Users.UpdateEmail(ctx, u.ID, "erin.new@example.com", false, later))
		got, err = s.Users.FindUserByID(ctx, u.ID)
		must(t, err)
		if got.Email != "erin.new@example.com" || got.EmailVerified {
			t.Fatalf("after recase: %+v", got)
		}
	})
}
