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
}

// Kind implements Job.
func (SendEmailJob) Kind() string { return "send_email" }
