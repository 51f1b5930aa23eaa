package accounts

import (
	"bufio"
	_ "embed"
	"strings"
	"unicode"
	"unicode/utf8"

	"authd/core/auth"
)

//go:embed common_passwords.txt
var commonPasswordsText string

// commonPasswords holds the lowercased most common passwords long enough to
// pass the length rule; shorter ones are refused by length already.
var commonPasswords = func() map[string]struct{} {
	m := map[string]struct{}{}
	sc := bufio.NewScanner(strings.NewReader(commonPasswordsText))
	for sc.Scan() {
		if p := strings.TrimSpace(sc.Text()); p != "" && !strings.HasPrefix(p, "#") {
			m[strings.ToLower(p)] = struct{}{}
		}
	}
	return m
}()

const (
	minPassword = 8
	maxPassword = 128
	maxEmail    = 254
)

// NormalizeEmail trims an address and checks its shape; deliverability is
// proven by the verification email, not here.
func NormalizeEmail(raw string) (string, error) {
	e := strings.TrimSpace(raw)
	if e == "" || len(e) > maxEmail || !utf8.ValidString(e) {
		return "", auth.ErrInvalidEmail
	}
	at := strings.LastIndexByte(e, '@')
	if at < 1 || at > 64 || at == len(e)-1 {
		return "", auth.ErrInvalidEmail
	}
	domain := e[at+1:]
	if strings.Count(e, "@") != 1 || !strings.Contains(domain, ".") ||
		strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", auth.ErrInvalidEmail
	}
	for _, r := range e {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`<>()[],;:\"`, r) {
			return "", auth.ErrInvalidEmail
		}
	}
	return e, nil
}

// CheckPassword applies the password policy for an account with email.
func CheckPassword(password, email string) error {
	if !utf8.ValidString(password) {
		return auth.ErrWeakPassword.WithMessage("The password is not valid UTF-8.")
	}
	n := utf8.RuneCountInString(password)
	if n < minPassword {
		return auth.ErrWeakPassword.WithMessage("The password must be at least 8 characters long.")
	}
	if n > maxPassword {
		return auth.ErrWeakPassword.WithMessage("The password must be at most 128 characters long.")
	}
	lower := strings.ToLower(password)
	if _, common := commonPasswords[lower]; common {
		return auth.ErrWeakPassword.WithMessage("This password is too common; choose another.")
	}
	if local, _, ok := strings.Cut(strings.ToLower(email), "@"); ok && (lower == strings.ToLower(email) || lower == local) {
		return auth.ErrWeakPassword.WithMessage("The password must not be your email address.")
	}
	return nil
}
