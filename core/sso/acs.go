package sso

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"time"

	"authd/core/auth"
	"authd/ports"
)

// ACSInput is what a browser posted to the assertion consumer service.
type ACSInput struct {
	SAMLResponse string
	RelayState   string
	// Binding is the browser's binding cookie value ("" when it sent none).
	Binding string
	Client  auth.Client
}

// Outcome is an accepted response: a new session (login) or the elevated
// one (step-up), and where to send the browser.
type Outcome struct {
	User     auth.User
	Session  auth.IssuedSession
	ReturnTo string
	StepUp   bool
	// Provisioned: the login created the user. Linked: it linked an
	// existing account to the identity.
	Provisioned, Linked bool
}

// errRace is a first login that lost a race with a concurrent one for the
// same user or identity; the transaction is run again and then finds it.
var errRace = errors.New("sso: concurrent first login")

// Complete is the ACS. The SP verifies the response against the providers
// whose entity ID is its Issuer; then, in one transaction, the assertion ID
// is recorded (a replay fails here), the pending request it answers is taken
// and checked against this browser, and the user is signed in (found,
// provisioned or linked) or the step-up session elevated. Every refusal is
// auth.ErrSAMLRejected with a reason, and leaves nothing behind.
func (s *Service) Complete(ctx context.Context, in ACSInput) (Outcome, error) {
	now := s.d.Clock.Now()
	issuer, err := s.d.SP.PeekIssuer(in.SAMLResponse)
	if err != nil {
		return Outcome{}, err
	}
	candidates, err := s.d.Providers.ListSAMLProvidersByEntityID(ctx, issuer)
	if err != nil {
		return Outcome{}, fmt.Errorf("sso: acs: %w", err)
	}
	if len(candidates) == 0 {
		return Outcome{}, reject(ReasonWrongIssuer)
	}
	p, a, err := s.parse(candidates, in.SAMLResponse, now)
	if err != nil {
		return Outcome{}, err
	}
	var out Outcome
	for attempt := 0; ; attempt++ {
		err = s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
			var err error
			out, err = s.accept(ctx, in, candidates, p, a, now)
			return err
		})
		if !errors.Is(err, errRace) || attempt == 1 {
			break
		}
	}
	if err != nil {
		return Outcome{}, err
	}
	return out, nil
}

// parse verifies the response with the first candidate it verifies with.
// Candidates share an entity ID and, in practice, certificates; the first
// refusal is the one reported.
func (s *Service) parse(candidates []auth.SAMLProvider, samlResponse string, now time.Time) (auth.SAMLProvider, auth.SAMLAssertion, error) {
	var first error
	for _, p := range candidates {
		a, err := s.d.SP.ParseResponse(p, samlResponse, now)
		if err == nil {
			return p, a, nil
		}
		if first == nil {
			first = err
		}
	}
	return auth.SAMLProvider{}, auth.SAMLAssertion{}, first
}

// accept runs inside the ACS transaction.
func (s *Service) accept(ctx context.Context, in ACSInput, candidates []auth.SAMLProvider, p auth.SAMLProvider,
	a auth.SAMLAssertion, now time.Time) (Outcome, error) {
	// An ID is remembered while the SP could still accept the assertion.
	first, err := s.d.State.RecordSAMLAssertion(ctx, a.Issuer, a.ID, a.NotOnOrAfter.Add(s.cfg.MaxSkew), now)
	if err != nil {
		return Outcome{}, fmt.Errorf("sso: record assertion: %w", err)
	}
	if !first {
		return Outcome{}, reject(ReasonReplayed)
	}
	if a.InResponseTo == "" {
		return s.acceptUnsolicited(ctx, in, candidates, p, a, now)
	}
	r, err := s.d.State.TakeSAMLRequest(ctx, a.InResponseTo)
	if errors.Is(err, auth.ErrNotFound) {
		return Outcome{}, reject(ReasonUnknownRequest)
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("sso: take request: %w", err)
	}
	if !now.Before(r.ExpiresAt) {
		return Outcome{}, reject(ReasonRequestExpired)
	}
	if subtle.ConstantTimeCompare(r.BindingHash, hashBinding(in.Binding)) != 1 {
		return Outcome{}, reject(ReasonOtherBrowser)
	}
	// The request was sent to one provider; a response about it must come
	// from that provider and be verified with its certificates.
	i := slices.IndexFunc(candidates, func(c auth.SAMLProvider) bool { return c.ID == r.ProviderID })
	if i < 0 {
		return Outcome{}, reject(ReasonWrongIssuer)
	}
	if p, a, err = s.reparse(p, candidates[i], a, in.SAMLResponse, now); err != nil {
		return Outcome{}, err
	}
	if r.Purpose == ports.SAMLPurposeStepUp {
		return s.elevate(ctx, p, a, r, now)
	}
	return s.signIn(ctx, p, a, r.ReturnTo, in.Client, now)
}

// acceptUnsolicited accepts an IdP-initiated response, only for a provider
// that allows it. When several providers share the issuer, the asserted
// email's domain picks one. RelayState, if a valid return_to, says where to
// go; by convention IdPs pass the target there.
func (s *Service) acceptUnsolicited(ctx context.Context, in ACSInput, candidates []auth.SAMLProvider,
	p auth.SAMLProvider, a auth.SAMLAssertion, now time.Time) (Outcome, error) {
	allowed := slices.DeleteFunc(slices.Clone(candidates), func(c auth.SAMLProvider) bool { return !c.AllowIdPInitiated })
	if len(allowed) == 0 {
		return Outcome{}, reject(ReasonUnsolicited)
	}
	chosen := allowed[0]
	if len(allowed) > 1 {
		if d, ok := emailDomain(s.emailOf(a)); ok {
			if i := slices.IndexFunc(allowed, func(c auth.SAMLProvider) bool { return c.Domain == d }); i >= 0 {
				chosen = allowed[i]
			}
		}
	}
	p, a, err := s.reparse(p, chosen, a, in.SAMLResponse, now)
	if err != nil {
		return Outcome{}, err
	}
	returnTo, err := s.checkReturnTo(in.RelayState)
	if err != nil {
		returnTo = "/"
	}
	return s.signIn(ctx, p, a, returnTo, in.Client, now)
}

// reparse verifies the response again with want when it was verified with
// another provider that trusts other certificates.
func (s *Service) reparse(got, want auth.SAMLProvider, a auth.SAMLAssertion, samlResponse string, now time.Time) (auth.SAMLProvider, auth.SAMLAssertion, error) {
	if got.ID == want.ID || slices.Equal(got.Certificates, want.Certificates) {
		return want, a, nil
	}
	a, err := s.d.SP.ParseResponse(want, samlResponse, now)
	return want, a, err
}
