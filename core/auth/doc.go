// Package auth holds the nouns every authd capability shares (users, sessions,
// devices, SAML providers and identities) and the one application error type.
//
// It depends on the standard library and a UUID package only, so every core
// capability, port and adapter can speak it.
package auth
