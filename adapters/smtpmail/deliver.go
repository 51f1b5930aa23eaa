package smtpmail

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/wneessen/go-mail"
)

// deliver runs one SMTP conversation for msg.
func (m *SMTPMailer) deliver(ctx context.Context, msg *mail.Msg) error {
	timeout := sendTimeout
	if deadline, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(deadline))
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if timeout <= 0 { // the deadline passed since ctx.Err looked
		return context.DeadlineExceeded
	}
	d := &dialer{ctx: ctx, server: m.server}
	defer d.close()
	client, err := mail.NewClient(m.server.host, m.options(timeout, d.dial)...)
	if err != nil {
		return err
	}
	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return withCause(ctx, fmt.Errorf("connect: %w", err))
	}
	// Once the server has taken the message with DATA, nothing that fails
	// after (go-mail's RSET, our QUIT) may make the job retry and the user get
	// the email twice.
	if err := client.SendWithSMTPClient(conn, msg); err != nil && !msg.IsDelivered() {
		return withCause(ctx, err)
	}
	_ = client.CloseWithSMTPClient(conn)
	return nil
}

// withCause puts ctx's error in front of err when ctx ended: the closed
// connection makes the conversation fail with an I/O error that hides why.
func withCause(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%w: %w", ctxErr, err)
	}
	return err
}

func (m *SMTPMailer) options(timeout time.Duration, dial mail.DialContextFunc) []mail.Option {
	opts := []mail.Option{
		mail.WithPort(m.server.port),
		mail.WithTimeout(timeout),
		mail.WithDialContextFunc(dial),
		// The connection was just opened: a NOOP to check it is alive would
		// only cost a round trip.
		mail.WithoutNoop(),
		mail.WithTLSConfig(m.server.tlsConfig()),
	}
	switch {
	case m.server.implicitTLS:
		opts = append(opts, mail.WithSSL())
	case m.server.requireSTARTTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	}
	if m.server.user != "" {
		// PLAIN and LOGIN refuse to send the password over a connection that
		// is neither TLS nor to localhost.
		opts = append(opts,
			mail.WithOpportunisticSMTPAuth(mail.SMTPAuthSCRAMSHA256, mail.SMTPAuthSCRAMSHA1,
				mail.SMTPAuthPlain, mail.SMTPAuthLogin),
			mail.WithUsername(m.server.user),
			mail.WithPassword(m.server.password))
	}
	return opts
}

// dialer opens the connection of one Send and closes it as soon as the Send's
// context ends: go-mail watches the context only while dialing, and a server
// that stalls mid-conversation would otherwise hold the job until the timeout.
type dialer struct {
	ctx    context.Context
	server server
	conn   net.Conn
	stop   func() bool
}

func (d *dialer) dial(ctx context.Context, network, _ string) (net.Conn, error) {
	// go-mail joins host and port without brackets, which breaks IPv6 hosts.
	addr := net.JoinHostPort(d.server.host, strconv.Itoa(d.server.port))
	var err error
	if d.server.implicitTLS {
		d.conn, err = (&tls.Dialer{Config: d.server.tlsConfig()}).DialContext(ctx, network, addr)
	} else {
		d.conn, err = (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	if err != nil {
		return nil, err
	}
	d.stop = context.AfterFunc(d.ctx, func() { _ = d.conn.Close() })
	return d.conn, nil
}

// close closes the connection whatever happened: go-mail leaves it open when
// EHLO, STARTTLS, AUTH or QUIT fail.
func (d *dialer) close() {
	if d.conn != nil {
		d.stop()
		_ = d.conn.Close()
	}
}
