// Package accounts signs people up and in with an email and a password.
//
// Invariants: addresses are trimmed and compared case-insensitively; passwords
// are 8 to 128 characters, never truncated, with no composition rules, and the
// most common ones are refused. An unknown address and a wrong password give
// the same error after the same work (a hash verification either way). A
// signup's user, session and verification-email job commit together or not at
// all. An address whose domain enforces single sign-on is refused
// (auth.ErrSSORequired) before any password is looked at.
//
// With a lockout (ports.AccountLockout), a login to an existing account
// claims an attempt before its password is checked and settles it after: a
// wrong password counts, a sign-in resets, a right password that still waits
// for a second factor only takes its own attempt back. A delayed or locked
// account answers rate-limited before the password is looked at, whether it
// was right or not. That answer, and the two short writes around a known
// account's check, can tell an existing address from an unknown one; the
// per-IP limits bound how often anyone can ask.
package accounts
