// Package sso is SAML single sign-on, with authd as the service provider:
// the providers customers register per email domain, SP-initiated login and
// step-up, the assertion consumer service and just-in-time provisioning.
//
// The SAMLServiceProvider port proves everything a response alone can prove
// (signature, issuer, audience, destination, recipient, time windows). This
// package adds what needs state, and keeps these invariants:
//
//   - An AuthnRequest lives on the server for RequestLifetime, bound to the
//     browser that started it by the SHA-256 of a random cookie value. A
//     response naming a request (InResponseTo) is accepted only from that
//     browser, only once, and only from that request's provider. A response
//     naming none is accepted only from a provider that allows IdP-initiated
//     login.
//   - An assertion ID is accepted once per issuer, and remembered for as long
//     as the assertion could still be accepted.
//   - Identities are keyed on (provider, NameID); persistent, email and
//     unspecified NameID formats are accepted, transient ones are not. The
//     asserted email must be in the provider's domain.
//   - The first login of an identity creates a verified user without a
//     password, or links the account that has the address, but only when that
//     address is verified; the user is then told by email, and the email's job
//     commits with the link.
//   - A step-up elevates only the session that asked for it, only for that
//     session's user, and only when the IdP's AuthnInstant is within
//     StepUpMaxAge.
//   - Every rejection is auth.ErrSAMLRejected with a "reason", and happens
//     before anything commits: the request taken, the assertion recorded, the
//     user, identity and session created all roll back together.
package sso
