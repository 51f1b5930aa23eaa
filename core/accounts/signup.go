package accounts

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// Signup creates an account with a password and signs it in. The user, the
// session and the job that sends the verification email commit together.
func (s *Service) Signup(ctx context.Context, email, password string, c auth.Client) (auth.User, auth.IssuedSession, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return auth.User{}, auth.IssuedSession{}, err
	}
	if err := s.checkSSO(ctx, email); err != nil {
		return auth.User{}, auth.IssuedSession{}, err
	}
	if err := CheckPassword(password, email); err != nil {
		return auth.User{}, auth.IssuedSession{}, err
	}
	// Hash before the transaction: it is the slow part and needs no lock.
	hash, err := s.d.Hasher.Hash(password)
	if err != nil {
		return auth.User{}, auth.IssuedSession{}, fmt.Errorf("accounts: hash: %w", err)
	}
	id, err := uuid.NewRandomFromReader(s.d.Random)
	if err != nil {
		return auth.User{}, auth.IssuedSession{}, fmt.Errorf("accounts: id: %w", err)
	}
	now := s.d.Clock.Now().UTC().Truncate(time.Microsecond)
	u := auth.User{ID: id, Email: email, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	var issued auth.IssuedSession
	err = s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		if err := s.d.Users.CreateUser(ctx, u); err != nil {
			return err
		}
		if _, err := s.d.Jobs.Enqueue(ctx, ports.SendEmailJob{UserID: u.ID, Email: ports.EmailVerify}, ports.JobOpts{}); err != nil {
			return fmt.Errorf("accounts: enqueue verification: %w", err)
		}
		if err := s.record(auth.WithClient(ctx, c), u.ID, ports.EventAccountCreated, nil); err != nil {
			return err
		}
		issued, err = s.d.Sessions.Start(ctx, u.ID, c, auth.MethodPassword)
		return err
	})
	if err != nil {
		return auth.User{}, auth.IssuedSession{}, err
	}
	return u, issued, nil
}
