// Package throttle is the brute-force defence: per account, a growing delay
// and then a lock after failed attempts at its credentials; per client IP,
// limits on the routes that guess, create or send. Every counter is kept in
// the database, so the limits hold across API processes.
//
// Invariants:
//   - An attempt at an account's credentials (a password at login, a code at
//     the second step, a step-up proof) is claimed before it is checked, in a
//     committed write that takes the account's row lock, so concurrent guesses
//     each take one and none slips past the bounds. A refused attempt is
//     refused before anything is checked, always with the same rate_limited
//     answer: it cannot tell whether the guess was right.
//   - After DelayAfter failures in a run, an attempt waits Delay after the
//     last failure, doubled for each failure since (capped at LockFor). The
//     Threshold-th failure locks the account for LockFor; the owner is emailed
//     once per lock, by a job queued in the transaction that sets it.
//     Attempts refused meanwhile are not counted, so a lock cannot be
//     prolonged by hammering it.
//   - A run ends when its lock ends, after Window without attempts, or on a
//     success: a sign-in, a step-up, or a password reset, which the lock never
//     blocks. A right password with a second factor still due only takes its
//     own attempt back: the run goes on until the second factor is right.
//   - The price of the lock is that anyone who knows an address can keep that
//     account locked with Threshold requests per LockFor. The owner's
//     sessions keep working, the email tells them, and a password reset lifts
//     the lock at once; the per-IP limits bound how many accounts one client
//     can lock. An unknown address has no account to lock: the per-IP limit
//     is what bounds enumeration.
//   - Per-IP limits count every request that reaches a limited route in
//     fixed windows per route and client network (an IPv4 address, an IPv6
//     /64, which one host usually holds whole).
package throttle
