// Package verification proves that people own their email addresses: it
// verifies addresses, resets and changes passwords, and changes addresses.
//
// Invariants:
//   - A token is 256 random bits, sent once by email; only its SHA-256 is
//     stored. Tokens are minted by the email worker when it sends (job
//     arguments carry user IDs, never tokens or addresses), and a new token
//     voids the user's unused ones of the same purpose.
//   - A token is bound to its user, its purpose and the address it was sent
//     to: a verification token cannot reset a password, and a token sent to
//     an address the account no longer has proves nothing.
//   - A token is used at most once, even when two requests race: it is
//     consumed by one conditional UPDATE in the transaction that applies it,
//     and unknown, used, voided and expired tokens all answer
//     auth.ErrInvalidToken. Nothing here is reachable by GET.
//   - Verification and email-change tokens live VerifyTTL (24 h), reset
//     tokens ResetTTL (1 h); the hourly Cleanup deletes used ones and those
//     expired for a day.
//   - An address changes only when a token sent to the new address comes
//     back; the old address is then told, by a job that names the change.
//   - A password reset revokes every session and signs nobody in; a password
//     change revokes every session but the caller's.
//   - Limits are counted in the database, so they hold across API processes:
//     resends and email changes one a minute and five a day per user;
//     password resets three an hour per account (dropped quietly, the answer
//     stays 202) and twenty an hour per client IP (rate_limited; configurable).
//   - A password reset is never blocked by an account lockout, and lifts it.
//   - A reset may be asked for any account, one without a password (single
//     sign-on only) included: the emailed link proves the address as well as
//     signup does, and login still refuses passwords where SSO is enforced.
package verification
