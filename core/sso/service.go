package sso

import (
	"time"

	"authd/core/auth"
	"authd/ports"
)

// Deps are the ports the service uses.
type Deps struct {
	Providers  ports.SAMLProviderStore
	Identities ports.SAMLIdentityStore
	State      ports.SAMLStateStore
	Users      ports.UserStore
	Tx         ports.TxRunner
	Jobs       ports.Enqueuer
	SP         ports.SAMLServiceProvider
	Sessions   ports.SessionStarter  // *session.Service
	Elevator   ports.SessionElevator // *session.Service
	Clock      ports.Clock
	Random     ports.Random
}

// Config tunes the service. The zero value of each field has a default.
type Config struct {
	// EmailAttributes are the attribute names an email is read from, first
	// present wins, when the NameID is not an email; DefaultEmailAttributes
	// when empty.
	EmailAttributes []string
	// AllowedReturnOrigins are the origins (scheme://host[:port]) an
	// absolute return_to may point at; relative paths are always allowed.
	AllowedReturnOrigins []string
	// StepUpMaxAge bounds how old the IdP's AuthnInstant may be for a
	// step-up (10 minutes when zero).
	StepUpMaxAge time.Duration
	// RequestLifetime is how long an AuthnRequest waits for its response
	// (5 minutes when zero).
	RequestLifetime time.Duration
	// MaxSkew is the clock skew the SP tolerates on validity windows (2
	// minutes when zero); assertion IDs are remembered that much longer.
	MaxSkew time.Duration
}

// DefaultEmailAttributes are the attribute names IdPs commonly put the
// address in: the LDAP mail OID (Shibboleth, crewjam), the WS-Federation claim
// (Entra ID, AD FS) and the plain names other IdPs use.
var DefaultEmailAttributes = []string{
	"urn:oid:0.9.2342.19200300.100.1.3",
	"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
	"email",
	"mail",
}

// The ports this service satisfies for other capabilities, wired in cmd.
var (
	_ ports.SSOPolicy     = (*Service)(nil)
	_ ports.SSOIdentities = (*Service)(nil)
)

// Service is the SSO capability.
type Service struct {
	d       Deps
	cfg     Config
	origins map[string]bool
}

// New returns a Service; it panics on missing dependencies or an allowed
// origin that is not an origin, so bad wiring fails at start.
func New(d Deps, cfg Config) *Service {
	if d.Providers == nil || d.Identities == nil || d.State == nil || d.Users == nil || d.Tx == nil ||
		d.Jobs == nil || d.SP == nil || d.Sessions == nil || d.Elevator == nil || d.Clock == nil || d.Random == nil {
		panic("sso: nil dependency")
	}
	if len(cfg.EmailAttributes) == 0 {
		cfg.EmailAttributes = DefaultEmailAttributes
	}
	if cfg.StepUpMaxAge <= 0 {
		cfg.StepUpMaxAge = 10 * time.Minute
	}
	if cfg.RequestLifetime <= 0 {
		cfg.RequestLifetime = 5 * time.Minute
	}
	if cfg.MaxSkew <= 0 {
		cfg.MaxSkew = 2 * time.Minute
	}
	origins := map[string]bool{}
	for _, o := range cfg.AllowedReturnOrigins {
		norm, err := ParseOrigin(o)
		if err != nil {
			panic("sso: allowed return origin: " + err.Error())
		}
		origins[norm] = true
	}
	return &Service{d: d, cfg: cfg, origins: origins}
}

// RequestLifetime is how long a started login waits for its response; the
// binding cookie lives as long.
func (s *Service) RequestLifetime() time.Duration { return s.cfg.RequestLifetime }

// Reasons a response is rejected for, beyond the SAMLServiceProvider's own:
// the "reason" member of auth.ErrSAMLRejected.
const (
	ReasonWrongIssuer          = "wrong_issuer"
	ReasonUnknownRequest       = "unknown_request"
	ReasonRequestExpired       = "request_expired"
	ReasonOtherBrowser         = "request_of_another_browser"
	ReasonUnsolicited          = "unsolicited"
	ReasonReplayed             = "replayed"
	ReasonNoEmail              = "no_email"
	ReasonEmailOutsideDomain   = "email_outside_domain"
	ReasonNameIDFormat         = "unsupported_nameid_format"
	ReasonLinkRequiresVerified = "link_requires_verified_email"
	ReasonIdentityMismatch     = "identity_mismatch"
	ReasonAuthnTooOld          = "authn_instant_too_old"
	ReasonSessionEnded         = "session_ended"
)

func reject(reason string) *auth.Error {
	return auth.ErrSAMLRejected.WithExtra("reason", reason)
}
