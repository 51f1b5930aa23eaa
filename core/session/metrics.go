package session

import (
	"context"

	"github.com/google/uuid"

	"authd/ports"
)

// noMetrics counts nothing: the service's Metrics when none is wired.
type noMetrics struct{}

func (noMetrics) SessionStarted(context.Context, []string)                 {}
func (noMetrics) SessionsRevoked(context.Context, ports.RevokeReason, int) {}

// RevokerFor returns the service as the ports.SessionRevoker of another
// capability, its revocations counted under the reasons that capability has
// for them: all for RevokeAll, others for RevokeOthers. The session service
// cannot tell a password reset from an admin's action by the call alone,
// and the capabilities that can do not know about metrics; cmd wires each
// its own view. Called on the service itself, RevokeAll and RevokeOthers
// count as ports.RevokedAll and ports.RevokedOthers.
func (s *Service) RevokerFor(all, others ports.RevokeReason) ports.SessionRevoker {
	return revoker{s: s, all: all, others: others}
}

type revoker struct {
	s           *Service
	all, others ports.RevokeReason
}

func (r revoker) RevokeAll(ctx context.Context, userID uuid.UUID) (int, error) {
	return r.s.revokeAll(ctx, userID, r.all)
}

func (r revoker) RevokeOthers(ctx context.Context, userID, keep uuid.UUID) (int, error) {
	return r.s.revokeOthers(ctx, userID, keep, r.others)
}
