package smtpmail

import (
	"context"
	"crypto/rand"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/wneessen/go-mail"

	"authd/ports"
)

// sendTimeout bounds each step of the SMTP conversation when ctx has no
// sooner deadline, so a server that stops answering cannot hold a job forever.
const sendTimeout = 30 * time.Second

// SMTPMailer renders emails and delivers them to an SMTP server. It opens a
// connection per Send: emails are few and sent by retrying jobs, so a pooled
// connection would add stale-connection handling for no gain. It is safe for
// concurrent use.
type SMTPMailer struct {
	server   server
	from     string
	idDomain string
	renderer *Renderer
}

var _ ports.Mailer = (*SMTPMailer)(nil)

// NewSMTP returns a mailer for the server at rawURL: smtp://host:587 upgrades
// with STARTTLS when the server offers it (?starttls=required refuses to send
// otherwise), smtps://host:465 speaks TLS from the start, and user:password@
// turns on SMTP AUTH. from is the From address, optionally with a display
// name. The errors name what is wrong with rawURL without repeating it, since
// it may hold a password. NewSMTP panics when r is nil.
func NewSMTP(rawURL, from string, r *Renderer) (*SMTPMailer, error) {
	if r == nil {
		panic("smtpmail: NewSMTP: nil Renderer")
	}
	srv, err := parseServerURL(rawURL)
	if err != nil {
		return nil, err
	}
	addr, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("smtpmail: invalid From address %q: %w", from, err)
	}
	return &SMTPMailer{
		server:   srv,
		from:     addr.String(),
		idDomain: addr.Address[strings.LastIndexByte(addr.Address, '@')+1:],
		renderer: r,
	}, nil
}

// Send renders e and delivers it. Any error, a temporary refusal by the server
// included, means the email was not accepted and the job should retry. When
// ctx ends, Send stops at once and its error wraps ctx.Err().
func (m *SMTPMailer) Send(ctx context.Context, e ports.Email) error {
	r, err := m.renderer.Render(e)
	if err != nil {
		return err
	}
	msg, err := m.message(e.To, r)
	if err != nil {
		return fmt.Errorf("smtpmail: send %s: %w", e.Kind, err)
	}
	if err := m.deliver(ctx, msg); err != nil {
		return fmt.Errorf("smtpmail: send %s: %w", e.Kind, err)
	}
	return nil
}

func (m *SMTPMailer) message(to string, r Rendered) (*mail.Msg, error) {
	// No User-Agent header: it would tell the world which library we run.
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.From(m.from); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := msg.To(to); err != nil {
		return nil, fmt.Errorf("invalid recipient: %w", err)
	}
	msg.Subject(r.Subject)
	msg.SetDate()
	// go-mail would use the host name, which in a container is a random ID;
	// the sender's domain is what RFC 5322 suggests and filters expect.
	msg.SetMessageIDWithValue(rand.Text() + "@" + m.idDomain)
	msg.SetBodyString(mail.TypeTextPlain, r.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, r.HTML)
	return msg, nil
}
