package ports

import "github.com/google/uuid"

// SendEmailJob asks the worker to compose and send one email to a user. It
// names the user, not the address, and never a token: the worker mints any
// token when it sends, so nothing secret sits in the queue.
type SendEmailJob struct {
	UserID uuid.UUID `json:"user_id"`
	Email  EmailKind `json:"email"`
	// SessionID names the session an email is about (new-device alerts).
	SessionID uuid.UUID `json:"session_id,omitzero"`
	// EmailChangeID names the address change an email_changed notice is
	// about: the old address is read from that row, and a user who changes
	// address twice in a row gets each old address told.
	EmailChangeID uuid.UUID `json:"email_change_id,omitzero"`
	// ProviderID names the SAML provider an sso_linked notice is about.
	ProviderID uuid.UUID `json:"provider_id,omitzero"`
}

// Kind implements Job.
func (SendEmailJob) Kind() string { return "send_email" }
