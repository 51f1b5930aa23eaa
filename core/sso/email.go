package sso

import (
	"context"
	"fmt"

	"authd/ports"
)

// ComposeLinkedEmail writes the "an SSO sign-in was linked" notice a job
// asks for, reading the address and the provider at send time. It returns
// auth.ErrNotFound (wrapped) when the user or the provider is gone, so the
// worker cancels the job: a deleted provider took the link with it.
func (s *Service) ComposeLinkedEmail(ctx context.Context, job ports.SendEmailJob) (ports.Email, error) {
	u, err := s.d.Users.FindUserByID(ctx, job.UserID)
	if err != nil {
		return ports.Email{}, fmt.Errorf("sso: compose linked email: %w", err)
	}
	p, err := s.d.Providers.FindSAMLProviderByID(ctx, job.ProviderID)
	if err != nil {
		return ports.Email{}, fmt.Errorf("sso: compose linked email: %w", err)
	}
	return ports.Email{To: u.Email, Kind: ports.EmailSSOLinked, Vars: map[string]string{"provider": p.Domain}}, nil
}
