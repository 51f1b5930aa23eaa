// Package mfa is the second factor: TOTP enrollment, recovery codes, and the
// second half of a login.
//
// Invariants: a TOTP secret is stored only sealed with AES-256-GCM under the
// instance key, bound to its user; a code is accepted within one step either
// side of now and only for a step later than the last one accepted, so no
// code works twice. Recovery codes are ten random 60-bit codes shown once,
// stored as SHA-256 and consumed by a conditional write. An mfa_token is 256
// random bits, stored as SHA-256, bound to one user, valid five minutes, used
// once, and void after five attempts: attempts are counted before the code is
// checked, so concurrent guesses cannot exceed the bound. With a lockout, a
// login code is also an attempt at the account: claimed before the check, a
// wrong one counts as a failure and a right one ends the run.
package mfa
