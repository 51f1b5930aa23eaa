// Package totp implements ports.TOTP on github.com/pquerna/otp: RFC 6238
// codes with the parameters every authenticator app understands (SHA-1, six
// digits, 30-second steps).
package totp

import (
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	pqtotp "github.com/pquerna/otp/totp"
)

// Period is the length of one time step.
const Period = 30 * time.Second

// skew is how many steps either side of now a code may belong to: enough for
// a phone's clock a little off and a user typing across a step boundary.
const skew = 1

var (
	encoding = base32.StdEncoding.WithPadding(base32.NoPadding)
	opts     = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
)

// Generator is a ports.TOTP for one issuer, the name authenticator apps show
// beside the account.
type Generator struct {
	issuer string
}

// New returns a Generator naming issuer in the URLs it builds.
func New(issuer string) *Generator {
	if issuer == "" {
		panic("totp: empty issuer")
	}
	return &Generator{issuer: issuer}
}

// Key implements ports.TOTP.
func (g *Generator) Key(secret []byte, accountName string) (encoded, url string, err error) {
	if len(secret) == 0 {
		return "", "", errors.New("totp: empty secret")
	}
	key, err := pqtotp.Generate(pqtotp.GenerateOpts{Issuer: g.issuer, AccountName: accountName,
		Period: uint(Period / time.Second), Secret: secret, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", "", err
	}
	return key.Secret(), key.URL(), nil
}

// Match implements ports.TOTP. It computes every candidate step's code and
// compares them all in constant time, so the time taken says nothing about
// which step matched; when two steps share a code it reports the later.
func (g *Generator) Match(secret []byte, code string, now time.Time) (step int64, ok bool) {
	code = strings.TrimSpace(code)
	if len(code) != opts.Digits.Length() {
		return 0, false
	}
	cur := Step(now)
	for s := cur - skew; s <= cur+skew; s++ {
		want, err := codeAt(secret, s)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			step, ok = s, true
		}
	}
	return step, ok
}

// Step is the number of the time step containing t.
func Step(t time.Time) int64 {
	return t.Unix() / int64(Period/time.Second)
}

// Code returns the code of the step containing at, as an authenticator app
// would show it; tests use it to play the user.
func Code(secret []byte, at time.Time) string {
	c, err := codeAt(secret, Step(at))
	if err != nil {
		panic(err)
	}
	return c
}

func codeAt(secret []byte, step int64) (string, error) {
	if step < 0 {
		return "", errors.New("totp: time before the epoch")
	}
	return hotp.GenerateCodeCustom(encoding.EncodeToString(secret), uint64(step), opts)
}
