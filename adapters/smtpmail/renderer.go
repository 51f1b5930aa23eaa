package smtpmail

import (
	"bytes"
	"fmt"
	"strings"

	"authd/ports"
)

// DefaultProduct is the product name emails use when NewRenderer is given none.
const DefaultProduct = "authd"

// Rendered is an email ready to send: one subject line and the same message as
// plain text and as HTML.
type Rendered struct {
	Subject string
	Text    string
	HTML    string
}

// Renderer turns a ports.Email into its subject and bodies. It is safe for
// concurrent use.
type Renderer struct {
	product   string
	templates map[ports.EmailKind]templateSet
}

// templateData is what every template sees: {{.Product}}, {{.Subject}} and the
// email's variables as {{.Vars.name}}.
type templateData struct {
	Product string
	Subject string
	Vars    map[string]string
}

// NewRenderer parses every template once, so that a broken or missing template
// stops the program at start. product names the service in the emails; empty
// means DefaultProduct.
func NewRenderer(product string) (*Renderer, error) {
	if product == "" {
		product = DefaultProduct
	}
	sets, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	return &Renderer{product: product, templates: sets}, nil
}

// Render fills e's templates with e.Vars. It returns an error for an unknown
// kind or when a template reads a variable that e.Vars lacks.
func (r *Renderer) Render(e ports.Email) (Rendered, error) {
	set, ok := r.templates[e.Kind]
	if !ok {
		return Rendered{}, fmt.Errorf("smtpmail: render: no template for email kind %q", e.Kind)
	}
	data := templateData{Product: r.product, Vars: e.Vars}
	var subject, text, html bytes.Buffer
	if err := set.subject.Execute(&subject, data); err != nil {
		return Rendered{}, fmt.Errorf("smtpmail: render %s subject: %w", e.Kind, err)
	}
	// A subject is one header line: collapsing whitespace keeps a stray newline
	// in a template from breaking the header.
	data.Subject = strings.Join(strings.Fields(subject.String()), " ")
	if err := set.text.Execute(&text, data); err != nil {
		return Rendered{}, fmt.Errorf("smtpmail: render %s text: %w", e.Kind, err)
	}
	if err := set.html.Execute(&html, data); err != nil {
		return Rendered{}, fmt.Errorf("smtpmail: render %s html: %w", e.Kind, err)
	}
	return Rendered{
		Subject: data.Subject,
		Text:    strings.TrimSpace(text.String()) + "\n",
		HTML:    strings.TrimSpace(html.String()) + "\n",
	}, nil
}
