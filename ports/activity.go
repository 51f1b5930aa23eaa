package ports

import (
	"context"
	"net/netip"
	"time"

	"github.com/google/uuid"
)

// EventKind names a security event. The set is open (stored as text), but
// every kind authd records is listed here, so that the activity a user sees
// reads the same whichever capability recorded it.
type EventKind string

// The security events authd records.
const (
	EventAccountCreated    EventKind = "account_created"
	EventLogin             EventKind = "login"            // detail: amr
	EventSSOLogin          EventKind = "sso_login"        // detail: amr
	EventLoginFailed       EventKind = "login_failed"     // detail: reason (password, second_factor)
	EventLogout            EventKind = "logout"           // detail: session_id
	EventSessionRevoked    EventKind = "session_revoked"  // detail: session_id
	EventSessionsRevoked   EventKind = "sessions_revoked" // detail: count
	EventStepUp            EventKind = "step_up"          // detail: method
	EventStepUpFailed      EventKind = "step_up_failed"   // detail: method
	EventPasswordChanged   EventKind = "password_changed"
	EventPasswordReset     EventKind = "password_reset"
	EventEmailChanged      EventKind = "email_changed"
	EventMFAEnabled        EventKind = "mfa_enabled"        // detail: method
	EventMFADisabled       EventKind = "mfa_disabled"       // detail: method
	EventDeletionRequested EventKind = "deletion_requested" // detail: execute_at
	EventDeletionCancelled EventKind = "deletion_cancelled"
	EventAccountLocked     EventKind = "account_locked" // detail: until
)

// SecurityEvent is one entry of a user's security activity (a
// security_events row). IP, UserAgent and DeviceName say where the request
// that caused it came from; they are empty for what no request caused.
type SecurityEvent struct {
	ID         uuid.UUID
	UserID     uuid.UUID
	Kind       EventKind
	IP         netip.Addr // the zero Addr when unknown
	UserAgent  string     // raw, for debugging and re-parsing
	DeviceName string     // for people: "Firefox 128 on Linux"
	// Detail holds what the kind says it holds; never a secret.
	Detail    map[string]string
	CreatedAt time.Time
}

// SecurityEventStore keeps security events. They belong to their user and go
// when the user goes.
type SecurityEventStore interface {
	CreateSecurityEvent(ctx context.Context, e SecurityEvent) error
	// ListSecurityEventsByUser returns the user's latest limit events, newest
	// first; every one of them when limit is zero or less.
	ListSecurityEventsByUser(ctx context.Context, userID uuid.UUID, limit int) ([]SecurityEvent, error)
	// DeleteSecurityEventsBefore deletes every event created before before,
	// whoever it is about, and reports how many it deleted.
	DeleteSecurityEventsBefore(ctx context.Context, before time.Time) (int, error)
}

// ActivityRecorder records a security event about a user. It joins the
// transaction of ctx, so an event exists if and only if the change it tells
// about commits. Where the request came from is read from ctx
// (auth.ClientFrom); a context without a client records none.
// *activity.Service satisfies it; every capability that changes something a
// user should be able to audit consumes it.
type ActivityRecorder interface {
	Record(ctx context.Context, userID uuid.UUID, kind EventKind, detail map[string]string) error
}
