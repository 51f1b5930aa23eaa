package verification

import (
	"context"

	"github.com/google/uuid"

	"authd/ports"
)

// recordEvent writes a security event in the transaction of ctx, when the
// service records any.
func (s *Service) recordEvent(ctx context.Context, userID uuid.UUID, kind ports.EventKind) error {
	if s.d.Activity == nil {
		return nil
	}
	return s.d.Activity.Record(ctx, userID, kind, nil)
}
