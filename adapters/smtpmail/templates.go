package smtpmail

import (
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	texttemplate "text/template"

	"authd/ports"
)

// templateFS holds one directory per email kind (subject.txt, body.txt,
// body.html) and the two layouts every body is wrapped in. Adding a kind means
// adding its directory and listing it in kinds.
//
//go:embed templates
var templateFS embed.FS

// kinds is every email authd sends. ports cannot list its constants for us, so
// NewRenderer checks this list against the template directories both ways: a
// kind without templates, or templates without a kind, fails at start rather
// than when the first such email is due.
var kinds = []ports.EmailKind{
	ports.EmailVerify,
	ports.EmailPasswordReset,
	ports.EmailChangeVerify,
	ports.EmailChangedNotice,
	ports.EmailNewDevice,
	ports.EmailAccountLocked,
	ports.EmailDeletionScheduled,
	ports.EmailDeletionCancelled,
	ports.EmailAccountDeleted,
	ports.EmailSSOLinked,
}

// missingVar makes a template fail on a variable the caller forgot instead of
// mailing "<no value>" to a user.
const missingVar = "missingkey=error"

// templateSet is one kind's parsed templates.
type templateSet struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

func parseTemplates() (map[ports.EmailKind]templateSet, error) {
	sets := make(map[ports.EmailKind]templateSet, len(kinds))
	for _, k := range kinds {
		set, err := parseKind(k)
		if err != nil {
			return nil, fmt.Errorf("smtpmail: templates for %q: %w", k, err)
		}
		sets[k] = set
	}
	dirs, err := fs.ReadDir(templateFS, "templates")
	if err != nil {
		return nil, fmt.Errorf("smtpmail: templates: %w", err)
	}
	for _, d := range dirs {
		if _, ok := sets[ports.EmailKind(d.Name())]; d.IsDir() && !ok {
			return nil, fmt.Errorf("smtpmail: template directory %q matches no email kind", d.Name())
		}
	}
	return sets, nil
}

func parseKind(k ports.EmailKind) (templateSet, error) {
	dir := "templates/" + string(k) + "/"
	subject, err := texttemplate.New("subject.txt").Option(missingVar).
		ParseFS(templateFS, dir+"subject.txt")
	if err != nil {
		return templateSet{}, err
	}
	text, err := texttemplate.New("layout.txt").Option(missingVar).
		ParseFS(templateFS, "templates/layout.txt", dir+"body.txt")
	if err != nil {
		return templateSet{}, err
	}
	html, err := htmltemplate.New("layout.html").Option(missingVar).
		ParseFS(templateFS, "templates/layout.html", dir+"body.html")
	if err != nil {
		return templateSet{}, err
	}
	return templateSet{subject: subject, text: text, html: html}, nil
}
