// Package deletion is the right to be forgotten, with a right to change one's
// mind: account deletion after a grace period, deletion at once by an
// administrator, and the export of everything stored about a user.
//
// Invariants: a request, its hard-delete job (scheduled at execute_at), the
// revocation of the user's other sessions, the email that tells them and the
// security event commit together. A cancellation marks the request
// cancelled and cancels the job in one transaction; the job also checks, so
// a job that escaped cancellation finds nothing to do. Only the job the
// request names may execute it. The hard delete is one transaction that
// removes every row about the user in every table and every job naming
// them: it leaves everything in place when it fails, and a second run finds
// nothing to do. The "account deleted" email goes to the address captured in
// that transaction, kept in a notice that references nothing and is removed
// once sent. Job args carry IDs only.
package deletion
