package smtptest

import (
	"fmt"
	"io"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// errRefusing is what a refusing server answers: 451 is a temporary failure,
// the kind a sender must retry.
var errRefusing = &smtp.SMTPError{
	Code:         451,
	EnhancedCode: smtp.EnhancedCode{4, 3, 0},
	Message:      "smtptest: refusing mail for now, try again later",
}

// session is one client connection's transaction state.
type session struct {
	server *Server
	from   string
	to     []string
}

func (s *session) AuthMechanisms() []string {
	return []string{sasl.Plain}
}

// Auth accepts any credentials: tests check what was sent, not who sent it.
func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, _, _ string) error { return nil }), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.server.refusing.Load() {
		return errRefusing
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

// Data rejects a message it cannot parse, so that a sender's MIME bug fails
// the sending test instead of a later assertion on an empty body.
func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := parse(raw)
	if err != nil {
		return &smtp.SMTPError{
			Code:         554,
			EnhancedCode: smtp.EnhancedCode{5, 6, 0},
			Message:      fmt.Sprintf("smtptest: cannot parse message: %v", err),
		}
	}
	m.From = s.from
	for _, to := range s.to {
		m.To = to
		s.server.add(m)
	}
	return nil
}

func (s *session) Reset() {
	s.from, s.to = "", nil
}

func (s *session) Logout() error {
	return nil
}
