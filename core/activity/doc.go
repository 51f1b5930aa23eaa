// Package activity is a user's security activity: the events other
// capabilities record through ports.ActivityRecorder (sign-ins, failed
// sign-ins, sign-outs, revocations, step-ups, credential, address and MFA
// changes, deletion requests), and the list a user reads back.
//
// Invariants: an event is written in the transaction of the change it tells
// about (the recorder joins the caller's), so it exists if and only if the
// change committed; a failed sign-in is recorded on its own, since there is
// no change to join. An event carries the request's IP, raw User-Agent and a
// device name parsed from it, never a secret. Events belong to their user
// and are deleted with the account.
package activity
