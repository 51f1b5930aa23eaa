// Package smtptest runs a real SMTP server in the test process, so that tests
// of anything that sends email can read what a mailbox would receive.
//
// The server listens on 127.0.0.1 without TLS, accepts any AUTH PLAIN
// credentials, keeps every message in memory and is closed when the test ends.
// Its URL is meant for smtpmail.NewSMTP.
package smtptest
