package accounts

import (
	"context"
	"fmt"

	"authd/core/auth"
)

// checkSSO returns auth.ErrSSORequired when the address's domain signs in
// only through its SAML provider. Login asks before verifying the password,
// so a refused login never tells whether a guessed password was right; the
// policy itself is no secret (discovery tells it to anyone).
func (s *Service) checkSSO(ctx context.Context, email string) error {
	if s.d.SSO == nil {
		return nil
	}
	enforced, err := s.d.SSO.EnforcedForEmail(ctx, email)
	if err != nil {
		return fmt.Errorf("accounts: sso policy: %w", err)
	}
	if enforced {
		return auth.ErrSSORequired
	}
	return nil
}
