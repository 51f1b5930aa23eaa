package throttle

import (
	"context"
	"fmt"
)

// Cleanup deletes the request windows that have ended and the runs that
// are over by age (quiet for Window, their lock ended). It only keeps the
// tables small: expired rows already count for nothing.
func (s *Service) Cleanup(ctx context.Context) (windows, runs int, err error) {
	now := s.now()
	longest := s.cfg.LockFor
	for _, r := range s.cfg.Limits {
		longest = max(longest, r.Per)
	}
	if windows, err = s.d.Store.DeleteRequestCountsBefore(ctx, now.Add(-longest)); err != nil {
		return 0, 0, fmt.Errorf("throttle: cleanup: %w", err)
	}
	if runs, err = s.d.Store.DeleteAccountFailuresBefore(ctx, now.Add(-s.cfg.Window)); err != nil {
		return windows, 0, fmt.Errorf("throttle: cleanup: %w", err)
	}
	return windows, runs, nil
}
