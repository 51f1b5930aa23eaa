package session

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// record writes a security event in the transaction of ctx, when the
// service records any.
func (s *Service) record(ctx context.Context, userID uuid.UUID, kind ports.EventKind, detail map[string]string) error {
	if s.d.Activity == nil {
		return nil
	}
	return s.d.Activity.Record(ctx, userID, kind, detail)
}

// recordSignIn records a new session as a login, or an SSO login when SAML
// authenticated it.
func (s *Service) recordSignIn(ctx context.Context, sess auth.Session) error {
	kind := ports.EventLogin
	if sess.AuthMethod == auth.MethodSAML {
		kind = ports.EventSSOLogin
	}
	return s.record(ctx, sess.UserID, kind, map[string]string{"amr": strings.Join(sess.AMR, " "),
		"session_id": sess.ID.String()})
}
