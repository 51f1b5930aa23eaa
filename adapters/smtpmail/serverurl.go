package smtpmail

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strconv"
)

// server is where and how SMTPMailer delivers, as configured by one URL.
type server struct {
	host            string
	port            int
	implicitTLS     bool // smtps://: TLS from the first byte
	requireSTARTTLS bool // smtp://...?starttls=required: never send in clear
	user            string
	password        string // with an empty user, no AUTH at all
}

// urlForm is quoted in errors so that the operator sees what is expected.
const urlForm = "smtp://[user:password@]host[:port] or smtps://..."

// parseServerURL reads an SMTP URL. Its errors never quote the whole URL,
// because the URL may hold a password and the error goes to the logs.
func parseServerURL(raw string) (server, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return server{}, fmt.Errorf("smtpmail: invalid SMTP URL: %w (want %s)", err, urlForm)
	}
	s := server{port: 587}
	switch u.Scheme {
	case "smtp":
	case "smtps":
		s.implicitTLS, s.port = true, 465
	case "":
		return server{}, fmt.Errorf("smtpmail: SMTP URL has no scheme (want %s)", urlForm)
	default:
		return server{}, fmt.Errorf("smtpmail: SMTP URL scheme %q is not smtp or smtps", u.Scheme)
	}
	if s.host = u.Hostname(); s.host == "" {
		return server{}, fmt.Errorf("smtpmail: SMTP URL has no host (want %s)", urlForm)
	}
	if p := u.Port(); p != "" {
		if s.port, err = strconv.Atoi(p); err != nil || s.port < 1 || s.port > 65535 {
			return server{}, fmt.Errorf("smtpmail: SMTP URL port %q is not a number from 1 to 65535", p)
		}
	}
	if u.Path != "" && u.Path != "/" {
		return server{}, fmt.Errorf("smtpmail: SMTP URL has a path %q; an SMTP server has none", u.Path)
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.password, _ = u.User.Password()
		if s.user == "" {
			return server{}, errors.New("smtpmail: SMTP URL has a password but no user name")
		}
	}
	if err := s.parseQuery(u.Query()); err != nil {
		return server{}, err
	}
	return s, nil
}

// parseQuery rejects unknown parameters, so that a misspelt starttls=required
// cannot silently fall back to sending in clear.
func (s *server) parseQuery(q url.Values) error {
	for name, values := range q {
		if name != "starttls" {
			return fmt.Errorf("smtpmail: SMTP URL parameter %q is unknown (only starttls is)", name)
		}
		switch v := values[len(values)-1]; {
		case s.implicitTLS:
			return errors.New("smtpmail: SMTP URL parameter starttls applies to smtp:// only; smtps:// is always TLS")
		case v == "required":
			s.requireSTARTTLS = true
		case v == "opportunistic":
		default:
			return fmt.Errorf(`smtpmail: SMTP URL parameter starttls=%q is neither "required" nor "opportunistic"`, v)
		}
	}
	return nil
}

func (s server) tlsConfig() *tls.Config {
	return &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
}
