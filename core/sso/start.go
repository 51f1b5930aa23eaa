package sso

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// Redirect sends the browser to its IdP. Binding is the value of the cookie
// that binds the request to this browser: the caller sets it, for
// RequestLifetime, before redirecting.
type Redirect struct {
	URL     string
	Binding string
}

// LoginStart starts an SP-initiated login for an address or a domain.
type LoginStart struct {
	Email    string
	Domain   string
	ReturnTo string
	// Binding is the browser's current binding cookie, if any: reusing it
	// lets logins started in two tabs both finish.
	Binding string
}

// StartLogin builds a signed AuthnRequest to the provider of the address's
// (or the given) domain and stores it, bound to the browser, for
// RequestLifetime. auth.ErrInvalidReturnTo for a return_to that is neither a
// relative path nor on an allowed origin; auth.ErrNoSSOProvider when no
// provider serves the domain.
func (s *Service) StartLogin(ctx context.Context, in LoginStart) (Redirect, error) {
	returnTo, err := s.checkReturnTo(in.ReturnTo)
	if err != nil {
		return Redirect{}, err
	}
	var domain string
	switch {
	case in.Email != "":
		d, ok := emailDomain(in.Email)
		if !ok {
			return Redirect{}, auth.ErrInvalidEmail
		}
		domain = d
	case in.Domain != "":
		d, err := NormalizeDomain(in.Domain)
		if err != nil {
			return Redirect{}, auth.ErrNoSSOProvider
		}
		domain = d
	default:
		return Redirect{}, auth.ErrInvalidRequest.WithMessage("Give email or domain.")
	}
	p, err := s.d.Providers.FindSAMLProviderByDomain(ctx, domain)
	if errors.Is(err, auth.ErrNotFound) {
		return Redirect{}, auth.ErrNoSSOProvider
	}
	if err != nil {
		return Redirect{}, fmt.Errorf("sso: start login: %w", err)
	}
	return s.start(ctx, p, ports.SAMLRequest{Purpose: ports.SAMLPurposeLogin, ReturnTo: returnTo}, in.Binding, false)
}

// StartStepUp sends the user of sess back to their IdP with ForceAuthn, so
// the IdP authenticates them afresh; the response elevates sess. The
// provider is the one the user last signed in through. auth.ErrNoSSOProvider
// when the user has no SAML identity.
func (s *Service) StartStepUp(ctx context.Context, sess auth.Session, returnTo, binding string) (Redirect, error) {
	returnTo, err := s.checkReturnTo(returnTo)
	if err != nil {
		return Redirect{}, err
	}
	ids, err := s.d.Identities.ListSAMLIdentitiesByUser(ctx, sess.UserID)
	if err != nil {
		return Redirect{}, fmt.Errorf("sso: start step-up: %w", err)
	}
	if len(ids) == 0 {
		return Redirect{}, auth.ErrNoSSOProvider
	}
	p, err := s.d.Providers.FindSAMLProviderByID(ctx, ids[0].ProviderID)
	if errors.Is(err, auth.ErrNotFound) { // deleted since the list was read
		return Redirect{}, auth.ErrNoSSOProvider
	}
	if err != nil {
		return Redirect{}, fmt.Errorf("sso: start step-up: %w", err)
	}
	r := ports.SAMLRequest{Purpose: ports.SAMLPurposeStepUp, ReturnTo: returnTo, SessionID: sess.ID, UserID: sess.UserID}
	return s.start(ctx, p, r, binding, true)
}

// start signs an AuthnRequest to p and stores r for it. Expired requests and
// assertion records are swept first: starts are frequent enough to keep the
// tables small, and each sweep is an index range scan.
func (s *Service) start(ctx context.Context, p auth.SAMLProvider, r ports.SAMLRequest, binding string, forceAuthn bool) (Redirect, error) {
	if !wellFormedBinding(binding) {
		b, err := s.newBinding()
		if err != nil {
			return Redirect{}, err
		}
		binding = b
	}
	// RelayState carries nothing: return_to waits on the server, where the
	// browser cannot change it.
	ar, err := s.d.SP.AuthnRequest(p, "", forceAuthn)
	if err != nil {
		return Redirect{}, fmt.Errorf("sso: authn request: %w", err)
	}
	if r.ID, err = uuid.NewRandomFromReader(s.d.Random); err != nil {
		return Redirect{}, fmt.Errorf("sso: request id: %w", err)
	}
	now := s.now()
	r.RequestID, r.ProviderID, r.BindingHash = ar.ID, p.ID, hashBinding(binding)
	r.CreatedAt, r.ExpiresAt = now, now.Add(s.cfg.RequestLifetime)
	if _, err := s.d.State.DeleteExpiredSAMLState(ctx, now); err != nil {
		return Redirect{}, fmt.Errorf("sso: sweep: %w", err)
	}
	if err := s.d.State.CreateSAMLRequest(ctx, r); err != nil {
		return Redirect{}, fmt.Errorf("sso: store request: %w", err)
	}
	return Redirect{URL: ar.RedirectURL, Binding: binding}, nil
}

const bindingBytes = 32

func (s *Service) newBinding() (string, error) {
	b := make([]byte, bindingBytes)
	if _, err := s.d.Random.Read(b); err != nil {
		return "", fmt.Errorf("sso: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// wellFormedBinding reports whether v could be a value newBinding made.
func wellFormedBinding(v string) bool {
	if len(v) != base64.RawURLEncoding.EncodedLen(bindingBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil
}

func hashBinding(v string) []byte {
	sum := sha256.Sum256([]byte(v))
	return sum[:]
}
