package sso

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
)

// ProviderInput registers a provider: its domain, and either the IdP's
// metadata XML or the three explicit fields.
type ProviderInput struct {
	Domain      string
	MetadataXML string
	// Explicit registration, when there is no metadata.
	EntityID       string
	SSOURL         string
	CertificatePEM string // one or more PEM certificates
	// Both default to false: SSO is offered, not required, and only
	// SP-initiated logins are accepted.
	EnforceSSO        bool
	AllowIdPInitiated bool
}

// ProviderChange is a partial update: nil fields are kept. MetadataXML
// replaces the entity ID, SSO URL and certificates together (a key
// rollover); it excludes the explicit fields. The domain cannot change:
// identities belong to the provider of that domain.
type ProviderChange struct {
	MetadataXML       *string
	EntityID          *string
	SSOURL            *string
	CertificatePEM    *string
	EnforceSSO        *bool
	AllowIdPInitiated *bool
}

// CreateProvider registers a provider. auth.ErrInvalidRequest for bad input,
// auth.ErrDomainTaken when the domain has a provider already.
func (s *Service) CreateProvider(ctx context.Context, in ProviderInput) (auth.SAMLProvider, error) {
	domain, err := NormalizeDomain(in.Domain)
	if err != nil {
		return auth.SAMLProvider{}, err
	}
	p := auth.SAMLProvider{Domain: domain, EnforceSSO: in.EnforceSSO, AllowIdPInitiated: in.AllowIdPInitiated}
	ch := ProviderChange{}
	if in.MetadataXML != "" {
		ch.MetadataXML = &in.MetadataXML
	}
	if in.EntityID != "" || in.SSOURL != "" || in.CertificatePEM != "" {
		ch.EntityID, ch.SSOURL, ch.CertificatePEM = &in.EntityID, &in.SSOURL, &in.CertificatePEM
	}
	if ch.MetadataXML == nil && ch.EntityID == nil {
		return auth.SAMLProvider{}, auth.ErrInvalidRequest.WithMessage("Give metadata_xml, or entity_id, sso_url and certificate_pem.")
	}
	if p, err = s.applyIdP(p, ch); err != nil {
		return auth.SAMLProvider{}, err
	}
	if p.ID, err = uuid.NewRandomFromReader(s.d.Random); err != nil {
		return auth.SAMLProvider{}, fmt.Errorf("sso: provider id: %w", err)
	}
	p.CreatedAt = s.now()
	p.UpdatedAt = p.CreatedAt
	if err := s.d.Providers.CreateSAMLProvider(ctx, p); err != nil {
		return auth.SAMLProvider{}, fmt.Errorf("sso: create provider: %w", err)
	}
	return p, nil
}

// applyIdP sets what ch says about the IdP on p: from metadata, or from the
// explicit fields given (all three on creation, any of them on update).
func (s *Service) applyIdP(p auth.SAMLProvider, ch ProviderChange) (auth.SAMLProvider, error) {
	explicit := ch.EntityID != nil || ch.SSOURL != nil || ch.CertificatePEM != nil
	if ch.MetadataXML != nil {
		if explicit {
			return p, auth.ErrInvalidRequest.WithMessage("Give metadata_xml or the explicit entity_id, sso_url and certificate_pem, not both.")
		}
		md, err := s.d.SP.ParseIdPMetadata([]byte(*ch.MetadataXML))
		if err != nil {
			return p, err
		}
		ch.EntityID, ch.SSOURL = &md.EntityID, &md.SSOURL
		certs := ""
		for _, c := range md.Certificates {
			certs += c
		}
		ch.CertificatePEM = &certs
	}
	creating := p.ID == uuid.Nil
	if creating && (ch.EntityID == nil || *ch.EntityID == "" || ch.SSOURL == nil || *ch.SSOURL == "" ||
		ch.CertificatePEM == nil || *ch.CertificatePEM == "") {
		return p, auth.ErrInvalidRequest.WithMessage("Give all of entity_id, sso_url and certificate_pem.")
	}
	var err error
	if ch.EntityID != nil {
		if p.EntityID, err = checkEntityID(*ch.EntityID); err != nil {
			return p, err
		}
	}
	if ch.SSOURL != nil {
		if p.SSOURL, err = checkSSOURL(*ch.SSOURL); err != nil {
			return p, err
		}
	}
	if ch.CertificatePEM != nil {
		if p.Certificates, err = parseCertificates(*ch.CertificatePEM); err != nil {
			return p, err
		}
	}
	return p, nil
}

// Provider returns one provider; auth.ErrNotFound when there is none.
func (s *Service) Provider(ctx context.Context, id uuid.UUID) (auth.SAMLProvider, error) {
	p, err := s.d.Providers.FindSAMLProviderByID(ctx, id)
	if err != nil {
		return auth.SAMLProvider{}, fmt.Errorf("sso: provider: %w", err)
	}
	return p, nil
}

// ProviderByDomain returns the provider serving domain; auth.ErrNotFound
// when there is none.
func (s *Service) ProviderByDomain(ctx context.Context, domain string) (auth.SAMLProvider, error) {
	d, err := NormalizeDomain(domain)
	if err != nil {
		return auth.SAMLProvider{}, auth.ErrNotFound
	}
	p, err := s.d.Providers.FindSAMLProviderByDomain(ctx, d)
	if err != nil {
		return auth.SAMLProvider{}, fmt.Errorf("sso: provider: %w", err)
	}
	return p, nil
}

// Providers lists every provider by domain.
func (s *Service) Providers(ctx context.Context) ([]auth.SAMLProvider, error) {
	ps, err := s.d.Providers.ListSAMLProviders(ctx)
	if err != nil {
		return nil, fmt.Errorf("sso: providers: %w", err)
	}
	return ps, nil
}

// UpdateProvider applies ch; auth.ErrNotFound when there is no such
// provider, auth.ErrInvalidRequest for bad input.
func (s *Service) UpdateProvider(ctx context.Context, id uuid.UUID, ch ProviderChange) (auth.SAMLProvider, error) {
	var out auth.SAMLProvider
	err := s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		p, err := s.d.Providers.FindSAMLProviderByID(ctx, id)
		if err != nil {
			return fmt.Errorf("sso: update provider: %w", err)
		}
		if p, err = s.applyIdP(p, ch); err != nil {
			return err
		}
		if ch.EnforceSSO != nil {
			p.EnforceSSO = *ch.EnforceSSO
		}
		if ch.AllowIdPInitiated != nil {
			p.AllowIdPInitiated = *ch.AllowIdPInitiated
		}
		p.UpdatedAt = s.now()
		if err := s.d.Providers.UpdateSAMLProvider(ctx, p); err != nil {
			return fmt.Errorf("sso: update provider: %w", err)
		}
		out = p
		return nil
	})
	return out, err
}

// DeleteProvider removes a provider and its identities: its users keep their
// accounts and sign in another way. auth.ErrNotFound when there is none.
func (s *Service) DeleteProvider(ctx context.Context, id uuid.UUID) error {
	if err := s.d.Providers.DeleteSAMLProvider(ctx, id); err != nil {
		return fmt.Errorf("sso: delete provider: %w", err)
	}
	return nil
}

// now is the service's time at PostgreSQL's precision, so what it returns
// equals what is read back.
func (s *Service) now() time.Time { return s.d.Clock.Now().UTC().Truncate(time.Microsecond) }
