package session

import (
	"context"
	"fmt"
)

// pruneBatch is how many sessions one delete of Prune takes: short
// statements, whose notifications every API process reads, rather than one
// that holds a year of sessions.
const pruneBatch = 1000

// Prune deletes the sessions that expired longer than the new-device window
// ago: they sign nobody in and are too old for the device history. Each
// user's newest session stays whatever its age, so a dormant account that
// signs in again from an unknown device is still alerted (see isNewDevice).
// It reports how many it deleted; run again, it carries on where it stopped.
func (s *Service) Prune(ctx context.Context) (int, error) {
	before := s.d.Clock.Now().Add(-newDeviceWindow)
	total := 0
	for {
		n, err := s.d.Sessions.DeleteExpiredSessions(ctx, before, pruneBatch)
		total += n
		if err != nil {
			return total, fmt.Errorf("session: prune: %w", err)
		}
		if n < pruneBatch {
			return total, nil
		}
	}
}
