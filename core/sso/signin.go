package sso

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// NameID formats (saml-core §8.3).
const (
	NameIDPersistent  = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	NameIDEmail       = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	NameIDUnspecified = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
)

// identityKey is the NameID an identity is keyed on. A transient NameID
// changes at every login, so it cannot name anyone; other formats (X.509
// subject, Kerberos, entity) are not user identifiers authd understands.
// Email NameIDs are lowercased: IdPs are not consistent about case, and
// addresses are case-insensitive everywhere else in authd.
func identityKey(a auth.SAMLAssertion) (string, error) {
	id := strings.TrimSpace(a.NameID)
	switch a.NameIDFormat {
	case NameIDPersistent, NameIDUnspecified, "":
		return id, nil
	case NameIDEmail:
		return strings.ToLower(id), nil
	}
	return "", reject(ReasonNameIDFormat)
}

// emailOf is the asserted address: the NameID when it is an email, else
// the first configured attribute with a non-empty value.
func (s *Service) emailOf(a auth.SAMLAssertion) string {
	if a.NameIDFormat == NameIDEmail {
		return strings.TrimSpace(a.NameID)
	}
	for _, name := range s.cfg.EmailAttributes {
		for _, v := range a.Attributes[name] {
			if v = strings.TrimSpace(v); v != "" {
				return v
			}
		}
	}
	return ""
}

// assertedEmail is the address, which must be in p's domain: a provider
// speaks only for its own domain, so it cannot sign in (or take over) an
// account elsewhere.
func (s *Service) assertedEmail(p auth.SAMLProvider, a auth.SAMLAssertion) (string, error) {
	email := s.emailOf(a)
	if email == "" {
		return "", reject(ReasonNoEmail)
	}
	domain, ok := emailDomain(email)
	if !ok {
		return "", reject(ReasonNoEmail)
	}
	if domain != p.Domain {
		return "", reject(ReasonEmailOutsideDomain)
	}
	return email, nil
}

// signIn finds, provisions or links the user of the assertion and starts an
// SSO session, all in the caller's transaction.
func (s *Service) signIn(ctx context.Context, p auth.SAMLProvider, a auth.SAMLAssertion, returnTo string,
	c auth.Client, now time.Time) (Outcome, error) {
	nameID, err := identityKey(a)
	if err != nil {
		return Outcome{}, err
	}
	email, err := s.assertedEmail(p, a)
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{ReturnTo: returnTo}
	stamp := now.UTC().Truncate(time.Microsecond)
	id, err := s.d.Identities.FindSAMLIdentity(ctx, p.ID, nameID)
	switch {
	case err == nil:
		if out.User, err = s.d.Users.FindUserByID(ctx, id.UserID); err != nil {
			return Outcome{}, fmt.Errorf("sso: identity's user: %w", err)
		}
		if err := s.d.Identities.TouchSAMLIdentity(ctx, id.ID, stamp); err != nil {
			return Outcome{}, fmt.Errorf("sso: touch identity: %w", err)
		}
	case errors.Is(err, auth.ErrNotFound):
		if out, err = s.provision(ctx, p, nameID, email, stamp); err != nil {
			return Outcome{}, err
		}
		out.ReturnTo = returnTo
	default:
		return Outcome{}, fmt.Errorf("sso: find identity: %w", err)
	}
	if out.Session, err = s.d.Sessions.Start(ctx, out.User.ID, c, auth.MethodSAML); err != nil {
		return Outcome{}, err
	}
	return out, nil
}

// provision is the first login of an identity: it creates a verified user
// without a password, or links the account that has the address when that
// address is verified. An unverified account is not linked: whoever created
// it never proved the address, and linking would hand the SSO user an
// account someone else may have planted.
func (s *Service) provision(ctx context.Context, p auth.SAMLProvider, nameID, email string, now time.Time) (Outcome, error) {
	var out Outcome
	u, err := s.d.Users.FindUserByEmail(ctx, email)
	switch {
	case errors.Is(err, auth.ErrNotFound):
		id, err := uuid.NewRandomFromReader(s.d.Random)
		if err != nil {
			return Outcome{}, fmt.Errorf("sso: user id: %w", err)
		}
		u = auth.User{ID: id, Email: email, EmailVerified: true, CreatedAt: now, UpdatedAt: now}
		if err := s.d.Users.CreateUser(ctx, u); errors.Is(err, auth.ErrEmailTaken) {
			return Outcome{}, errRace
		} else if err != nil {
			return Outcome{}, fmt.Errorf("sso: create user: %w", err)
		}
		out.Provisioned = true
	case err != nil:
		return Outcome{}, fmt.Errorf("sso: find user: %w", err)
	case !u.EmailVerified:
		return Outcome{}, reject(ReasonLinkRequiresVerified)
	default:
		out.Linked = true
	}
	iid, err := uuid.NewRandomFromReader(s.d.Random)
	if err != nil {
		return Outcome{}, fmt.Errorf("sso: identity id: %w", err)
	}
	created, err := s.d.Identities.CreateSAMLIdentity(ctx, auth.Identity{ID: iid, UserID: u.ID, ProviderID: p.ID,
		NameID: nameID, CreatedAt: now, LastLoginAt: now})
	if err != nil {
		return Outcome{}, fmt.Errorf("sso: create identity: %w", err)
	}
	if !created {
		return Outcome{}, errRace
	}
	if out.Linked {
		job := ports.SendEmailJob{UserID: u.ID, Email: ports.EmailSSOLinked, ProviderID: p.ID}
		if _, err := s.d.Jobs.Enqueue(ctx, job, ports.JobOpts{}); err != nil {
			return Outcome{}, fmt.Errorf("sso: enqueue linked email: %w", err)
		}
	}
	out.User = u
	return out, nil
}

// elevate completes a step-up: the assertion must be about the identity of
// the session's user, and the IdP must have authenticated them within
// StepUpMaxAge and not before the request was made (ForceAuthn asked for a
// fresh authentication; an IdP that ignored it answers with an older one).
func (s *Service) elevate(ctx context.Context, p auth.SAMLProvider, a auth.SAMLAssertion, r ports.SAMLRequest,
	now time.Time) (Outcome, error) {
	nameID, err := identityKey(a)
	if err != nil {
		return Outcome{}, err
	}
	id, err := s.d.Identities.FindSAMLIdentity(ctx, p.ID, nameID)
	if errors.Is(err, auth.ErrNotFound) {
		return Outcome{}, reject(ReasonIdentityMismatch)
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("sso: find identity: %w", err)
	}
	if id.UserID != r.UserID {
		return Outcome{}, reject(ReasonIdentityMismatch)
	}
	at := a.AuthnInstant
	if at.IsZero() || now.Sub(at) > s.cfg.StepUpMaxAge || at.Before(r.CreatedAt.Add(-s.cfg.MaxSkew)) ||
		at.After(now.Add(s.cfg.MaxSkew)) {
		return Outcome{}, reject(ReasonAuthnTooOld)
	}
	issued, err := s.d.Elevator.Elevate(ctx, r.SessionID, auth.MethodSAML)
	if errors.Is(err, auth.ErrNotFound) {
		return Outcome{}, reject(ReasonSessionEnded)
	}
	if err != nil {
		return Outcome{}, err
	}
	if err := s.d.Identities.TouchSAMLIdentity(ctx, id.ID, now.UTC().Truncate(time.Microsecond)); err != nil {
		return Outcome{}, fmt.Errorf("sso: touch identity: %w", err)
	}
	u, err := s.d.Users.FindUserByID(ctx, r.UserID)
	if err != nil {
		return Outcome{}, fmt.Errorf("sso: step-up user: %w", err)
	}
	return Outcome{User: u, Session: issued, ReturnTo: r.ReturnTo, StepUp: true}, nil
}
