// Package smtpmail implements ports.Mailer: SMTPMailer delivers through an
// SMTP server with go-mail, LogMailer only logs, for development without one.
//
// Both render through a Renderer, which holds one subject, plain-text body and
// HTML body per ports.EmailKind, embedded from templates/<kind>/. The HTML is
// built with html/template, so variables are escaped; a variable a template
// reads but the email lacks is an error, never an empty gap. Links arrive
// absolute in the email's variables, built from the configured app URL: the
// templates only place them.
//
// Send is called by job workers outside any transaction, and every failure,
// a temporary refusal included, is returned so that the job retries. Delivery
// is at least once: a retry after a lost reply can send an email twice.
//
// Package smtptest runs a real SMTP server in-process for tests.
package smtpmail
