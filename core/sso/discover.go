package sso

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"authd/core/auth"
)

// Discovery says whether an address signs in through SSO.
type Discovery struct {
	SSO      bool
	Domain   string // the provider's domain, when SSO
	Enforced bool   // password sign-in is refused for this domain
}

// Discover looks up the provider of an address's domain. A malformed
// address simply has none: discovery never fails on input.
func (s *Service) Discover(ctx context.Context, email string) (Discovery, error) {
	domain, ok := emailDomain(email)
	if !ok {
		return Discovery{}, nil
	}
	p, err := s.d.Providers.FindSAMLProviderByDomain(ctx, domain)
	if errors.Is(err, auth.ErrNotFound) {
		return Discovery{}, nil
	}
	if err != nil {
		return Discovery{}, fmt.Errorf("sso: discover: %w", err)
	}
	return Discovery{SSO: true, Domain: p.Domain, Enforced: p.EnforceSSO}, nil
}

// EnforcedForEmail reports whether the address's domain must sign in through
// SSO. It implements ports.SSOPolicy.
func (s *Service) EnforcedForEmail(ctx context.Context, email string) (bool, error) {
	d, err := s.Discover(ctx, email)
	return d.Enforced, err
}

// HasSAMLIdentity reports whether the user signs in through a provider, so
// step-up can offer it. It implements ports.SSOIdentities.
func (s *Service) HasSAMLIdentity(ctx context.Context, userID uuid.UUID) (bool, error) {
	ids, err := s.d.Identities.ListSAMLIdentitiesByUser(ctx, userID)
	if err != nil {
		return false, fmt.Errorf("sso: identities: %w", err)
	}
	return len(ids) > 0, nil
}

// Metadata is the SP metadata XML, for IdP administrators.
func (s *Service) Metadata() ([]byte, error) { return s.d.SP.Metadata() }
