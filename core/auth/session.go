package auth

import (
	"net/netip"
	"time"

	"github.com/google/uuid"
)

// Authentication methods recorded on a session (its auth_method and amr).
const (
	MethodPassword = "pwd"
	MethodOTP      = "otp"
	MethodSAML     = "saml"
)

// Device is what a user agent string says about the client.
type Device struct {
	Name    string // readable, for people: "Chrome 126 on macOS"
	Browser string
	OS      string
	Type    string // desktop, mobile, tablet, bot or unknown
}

// Client is what a request says about where it comes from.
type Client struct {
	IP        netip.Addr
	UserAgent string
}

// Session is one signed-in device. Only the SHA-256 of its token is stored.
type Session struct {
	ID                uuid.UUID
	UserID            uuid.UUID
	TokenHash         []byte
	IP                netip.Addr
	UserAgent         string
	Device            Device
	AuthMethod        string   // how the session was first authenticated
	AMR               []string // every method used, step-ups included
	CreatedAt         time.Time
	LastActiveAt      time.Time
	ExpiresAt         time.Time
	ReauthenticatedAt time.Time // the login or the latest step-up
	RevokedAt         *time.Time
}

// AAL is the authenticator assurance level the session's methods reach.
func (s Session) AAL() string {
	for _, m := range s.AMR {
		if m == MethodOTP {
			return "aal2"
		}
	}
	return "aal1"
}

// IssuedSession is a new session with its token. The token is shown to the
// client once and never stored.
type IssuedSession struct {
	Session Session
	Token   string
}
