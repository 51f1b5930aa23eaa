// Package accounts signs people up and in with an email and a password.
//
// Invariants: addresses are trimmed and compared case-insensitively; passwords
// are 8 to 128 characters, never truncated, with no composition rules, and the
// most common ones are refused. An unknown address and a wrong password give
// the same error after the same work (a hash verification either way). A
// signup's user, session and verification-email job commit together or not at
// all. An address whose domain enforces single sign-on is refused
// (auth.ErrSSORequired) before any password is looked at.
package accounts
