// Package saml is authd's SAML 2.0 service provider (ports.SAMLServiceProvider),
// built on russellhaering/gosaml2 and goxmldsig.
//
// gosaml2 verifies XML signatures and a few response fields; authd enforces the
// rest itself, and every refusal is auth.ErrSAMLRejected with a "reason" extra
// member. The invariants ParseResponse keeps:
//
//   - The form value is capped before it is decoded, and XML with a DOCTYPE,
//     duplicate attributes, or constructs that do not survive an encoding/xml
//     round trip is refused before any signature work.
//   - SHA-1 anywhere in a signature (SignatureMethod or DigestMethod) is refused.
//   - Every value returned comes from gosaml2's decoded copy of what the
//     signature covers, never from the raw tree. The raw tree is only read to
//     refuse more (comments inside a NameID, extra or misplaced assertions, a
//     non-success status), never to accept.
//   - Issuer, Audience, Destination, Recipient and the validity windows are
//     checked against the provider and our configuration with a fixed skew.
//
// What needs state (InResponseTo bound to the browser, assertion replay) is the
// caller's job; the package holds no state beyond its configuration.
package saml
