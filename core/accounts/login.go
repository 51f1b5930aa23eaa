package accounts

import (
	"context"
	"errors"
	"fmt"

	"authd/core/auth"
)

// Login checks an email and password and starts a session. An unknown
// address, an account without a password and a wrong password all answer
// auth.ErrInvalidCredentials after one hash verification.
func (s *Service) Login(ctx context.Context, email, password string, c auth.Client) (auth.User, auth.IssuedSession, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		// Still burn a verification: malformed and unknown look the same.
		_, _, _ = s.verifyOrBurn(password, "")
		return auth.User{}, auth.IssuedSession{}, auth.ErrInvalidCredentials
	}
	u, err := s.d.Users.FindUserByEmail(ctx, email)
	if err != nil && !errors.Is(err, auth.ErrNotFound) {
		return auth.User{}, auth.IssuedSession{}, fmt.Errorf("accounts: login: %w", err)
	}
	ok, rehash, err := s.verifyOrBurn(password, u.PasswordHash)
	if err != nil {
		return auth.User{}, auth.IssuedSession{}, fmt.Errorf("accounts: verify: %w", err)
	}
	if !ok {
		return auth.User{}, auth.IssuedSession{}, auth.ErrInvalidCredentials
	}
	if rehash {
		if err := s.rehash(ctx, u, password); err != nil {
			return auth.User{}, auth.IssuedSession{}, err
		}
	}
	issued, err := s.d.Sessions.Start(ctx, u.ID, c, auth.MethodPassword)
	if err != nil {
		return auth.User{}, auth.IssuedSession{}, err
	}
	return u, issued, nil
}

// rehash upgrades a hash made with old parameters while the password is at
// hand; it is the only moment it can be.
func (s *Service) rehash(ctx context.Context, u auth.User, password string) error {
	hash, err := s.d.Hasher.Hash(password)
	if err != nil {
		return fmt.Errorf("accounts: rehash: %w", err)
	}
	if err := s.d.Users.UpdatePasswordHash(ctx, u.ID, hash, s.d.Clock.Now()); err != nil {
		return fmt.Errorf("accounts: rehash: %w", err)
	}
	return nil
}
