package verification

import (
	"context"
	"fmt"
	"time"
)

// Retention of what Cleanup deletes.
const (
	// expiredKeep keeps an expired token a day, so a late click still finds
	// it in the table while someone investigates.
	expiredKeep = 24 * time.Hour
	// requestKeep outlasts the longest rate-limit window.
	requestKeep = 2 * longestWindow
)

// Cleanup deletes used tokens, tokens expired for more than a day and email
// requests too old to count for any limit. A periodic job runs it.
func (s *Service) Cleanup(ctx context.Context) (tokens, requests int, err error) {
	now := s.now()
	if tokens, err = s.d.Verifications.DeleteStaleVerifications(ctx, now.Add(-expiredKeep)); err != nil {
		return 0, 0, fmt.Errorf("verification: cleanup: %w", err)
	}
	if requests, err = s.d.Requests.DeleteEmailRequestsBefore(ctx, now.Add(-requestKeep)); err != nil {
		return tokens, 0, fmt.Errorf("verification: cleanup: %w", err)
	}
	return tokens, requests, nil
}
