// Package samltest runs a real SAML 2.0 identity provider in-process for
// tests: crewjam/saml's IdentityProvider behind an httptest server, signing
// genuine responses with its own RSA key. It also builds the attacks an SP
// must refuse: re-signing with another key, stripping or breaking
// signatures, the eight XML Signature Wrapping variants of "On Breaking SAML:
// Be Whoever You Want to Be" (Somorovsky et al., 2012), comment injection
// into a NameID, DOCTYPE entities and field edits re-signed by the IdP.
//
// It does not import the SP it tests, so that package's internal tests may
// use it.
package samltest
