package smtptest

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
)

// parse reads a raw message into a Message without its envelope. Bodies are
// taken to be UTF-8, which is all authd sends.
func parse(raw []byte) (Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return Message{}, fmt.Errorf("subject: %w", err)
	}
	m := Message{Subject: subject, Header: msg.Header, Raw: string(raw)}
	if err := m.readPart(textproto.MIMEHeader(msg.Header), msg.Body); err != nil {
		return Message{}, err
	}
	return m, nil
}

// readPart keeps the first text/plain and text/html parts, looking inside
// multipart containers at any depth.
func (m *Message) readPart(h textproto.MIMEHeader, body io.Reader) error {
	mediaType, params, err := mime.ParseMediaType(cmp.Or(h.Get("Content-Type"), "text/plain"))
	if err != nil {
		return fmt.Errorf("content type: %w", err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		parts := multipart.NewReader(body, params["boundary"])
		for {
			// NextPart decodes quoted-printable itself and drops the header.
			p, err := parts.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s: %w", mediaType, err)
			}
			if err := m.readPart(p.Header, p); err != nil {
				return err
			}
		}
	}
	content, err := io.ReadAll(decode(h.Get("Content-Transfer-Encoding"), body))
	if err != nil {
		return fmt.Errorf("%s body: %w", mediaType, err)
	}
	text := strings.ReplaceAll(string(content), "\r\n", "\n")
	switch {
	case mediaType == "text/plain" && m.Text == "":
		m.Text = text
	case mediaType == "text/html" && m.HTML == "":
		m.HTML = text
	}
	return nil
}

func decode(encoding string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, r)
	default:
		return r
	}
}
