package smtpmail

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"authd/ports"
)

// LogMailer stands in for SMTPMailer when no SMTP server is configured: it
// renders each email, so template errors still show, and logs what a developer
// needs to follow it. The links it logs carry live tokens, so it is meant for
// development only.
type LogMailer struct {
	logger   *slog.Logger
	renderer *Renderer
}

var _ ports.Mailer = (*LogMailer)(nil)

// NewLog returns a LogMailer writing to logger. It panics when logger or r is
// nil.
func NewLog(logger *slog.Logger, r *Renderer) *LogMailer {
	if logger == nil || r == nil {
		panic("smtpmail: NewLog: nil logger or Renderer")
	}
	return &LogMailer{logger: logger, renderer: r}
}

// Send logs one line with the recipient, subject, kind and links of e, never
// the body. It returns an error only when e cannot be rendered.
func (m *LogMailer) Send(ctx context.Context, e ports.Email) error {
	r, err := m.renderer.Render(e)
	if err != nil {
		return err
	}
	attrs := []slog.Attr{
		slog.String("to", e.To),
		slog.String("subject", r.Subject),
		slog.String("kind", string(e.Kind)),
	}
	// Sorted, so that a kind with two links logs them in a stable order.
	for _, name := range slices.Sorted(maps.Keys(e.Vars)) {
		if name == "link" || strings.HasSuffix(name, "_link") {
			attrs = append(attrs, slog.String(name, e.Vars[name]))
		}
	}
	m.logger.LogAttrs(ctx, slog.LevelInfo, "email (not sent: no SMTP server configured)", attrs...)
	return nil
}
