package accounts

import (
	"fmt"

	"authd/ports"
)

// Deps are the ports the service uses.
type Deps struct {
	Users    ports.UserStore
	Tx       ports.TxRunner
	Hasher   ports.PasswordHasher
	Jobs     ports.Enqueuer
	Sessions ports.SessionStarter
	Clock    ports.Clock
	Random   ports.Random
	// SecondFactor stops a login at a challenge when the user has a second
	// factor on (*mfa.Service). Optional: nil means no account has one.
	SecondFactor ports.SecondFactor
	// SSO refuses password login and signup for domains that enforce single
	// sign-on (*sso.Service). Optional: nil means no domain does.
	SSO ports.SSOPolicy
	// Activity records new accounts and failed logins (*activity.Service).
	// Optional: nil records nothing.
	Activity ports.ActivityRecorder
	// Lockout delays and locks an account's logins after failed ones
	// (*throttle.Service). Optional: nil never refuses.
	Lockout ports.AccountLockout
}

// Service is the accounts capability.
type Service struct {
	d Deps
	// dummyHash is verified against when an address is unknown, so that the
	// answer takes as long as for a wrong password.
	dummyHash string
	// requireVerified refuses logins until the address is verified.
	requireVerified bool
}

// New returns a Service; it panics on missing dependencies.
func New(d Deps, opts ...Option) *Service {
	if d.Users == nil || d.Tx == nil || d.Hasher == nil || d.Jobs == nil || d.Sessions == nil ||
		d.Clock == nil || d.Random == nil {
		panic("accounts: nil dependency")
	}
	dummy, err := d.Hasher.Hash("authd timing equaliser")
	if err != nil {
		panic(fmt.Sprintf("accounts: dummy hash: %v", err))
	}
	s := &Service{d: d, dummyHash: dummy}
	for _, o := range opts {
		o(s)
	}
	return s
}

// verifyOrBurn verifies password against hash, or against the dummy hash when
// there is none, so that both paths cost one verification.
func (s *Service) verifyOrBurn(password, hash string) (ok, rehash bool, err error) {
	if hash == "" {
		_, _, err := s.d.Hasher.Verify(password, s.dummyHash)
		return false, false, err
	}
	return s.d.Hasher.Verify(password, hash)
}
