package auth

import (
	"errors"
	"time"
)

// Kind classifies an Error for the edges that must pick a status or a retry
// policy. The set is closed: adapters map each Kind exactly once.
type Kind int

// The kinds of application error.
const (
	KindInternal Kind = iota
	KindInvalid
	KindNotFound
	KindConflict
	KindUnauthenticated
	KindForbidden
	KindRateLimited
)

// Error is the one application error type. Code is the stable snake_case string
// clients see; Message is a human sentence safe to show them.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	// RetryAfter is set on rate-limited errors.
	RetryAfter time.Duration
	// Extra holds members a problem document adds for this code (for example
	// the step-up methods); nil for most errors.
	Extra map[string]any
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Is makes errors.Is match on Code, so a sentinel matches copies carrying
// extra members or a different message.
func (e *Error) Is(target error) bool {
	var t *Error
	if !errors.As(target, &t) {
		return false
	}
	return t.Code == e.Code
}

// WithMessage returns a copy of e with another message.
func (e *Error) WithMessage(msg string) *Error {
	c := *e
	c.Message = msg
	return &c
}

// WithExtra returns a copy of e with an extra problem member.
func (e *Error) WithExtra(key string, value any) *Error {
	c := *e
	c.Extra = make(map[string]any, len(e.Extra)+1)
	for k, v := range e.Extra {
		c.Extra[k] = v
	}
	c.Extra[key] = value
	return &c
}

// RateLimited returns ErrRateLimited carrying when to try again.
func RateLimited(retryAfter time.Duration) *Error {
	c := *ErrRateLimited
	c.RetryAfter = retryAfter
	return &c
}

func newErr(k Kind, code, msg string) *Error { return &Error{Kind: k, Code: code, Message: msg} }

// Sentinels. Their codes are the public contract of ../shared/API.md.
var (
	ErrInternal           = newErr(KindInternal, "internal_error", "Something went wrong on our side.")
	ErrInvalidRequest     = newErr(KindInvalid, "invalid_request", "The request is malformed.")
	ErrInvalidEmail       = newErr(KindInvalid, "invalid_email", "The email address is not valid.")
	ErrWeakPassword       = newErr(KindInvalid, "weak_password", "The password is too weak.")
	ErrInvalidToken       = newErr(KindInvalid, "invalid_token", "The token is invalid or has expired.")
	ErrInvalidCode        = newErr(KindInvalid, "invalid_code", "The code is not valid.")
	ErrInvalidReturnTo    = newErr(KindInvalid, "invalid_return_to", "return_to is not an allowed destination.")
	ErrEmailTaken         = newErr(KindConflict, "email_taken", "An account with this email already exists.")
	ErrDomainTaken        = newErr(KindConflict, "domain_taken", "A SAML provider already serves this domain.")
	ErrAlreadyVerified    = newErr(KindConflict, "already_verified", "The email address is already verified.")
	ErrAlreadyEnrolled    = newErr(KindConflict, "already_enrolled", "A second factor is already enrolled.")
	ErrDeletionPending    = newErr(KindConflict, "deletion_pending", "The account is scheduled for deletion.")
	ErrNotFound           = newErr(KindNotFound, "not_found", "Not found.")
	ErrNoSSOProvider      = newErr(KindNotFound, "no_sso_provider", "No single sign-on provider serves this domain.")
	ErrUnauthenticated    = newErr(KindUnauthenticated, "unauthenticated", "Authentication is required.")
	ErrInvalidCredentials = newErr(KindUnauthenticated, "invalid_credentials", "The email or password is incorrect.")
	ErrInvalidMFAToken    = newErr(KindUnauthenticated, "invalid_mfa_token", "The MFA token is invalid or has expired.")
	ErrSSORequired        = newErr(KindForbidden, "sso_required", "This domain signs in through single sign-on.")
	ErrEmailUnverified    = newErr(KindForbidden, "email_unverified", "Verify your email address first.")
	ErrStepUpRequired     = newErr(KindForbidden, "step_up_required", "Re-authenticate to continue.")
	ErrSAMLRejected       = newErr(KindForbidden, "saml_rejected", "The SAML response was rejected.")
	ErrCrossOrigin        = newErr(KindForbidden, "cross_origin_request", "Cross-origin requests are refused.")
	ErrRateLimited        = newErr(KindRateLimited, "rate_limited", "Too many requests; try again later.")
)
