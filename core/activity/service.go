package activity

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// Deps are the ports the service uses.
type Deps struct {
	Events ports.SecurityEventStore
	UA     ports.UAParser
	Clock  ports.Clock
	Random ports.Random
}

// The port other capabilities consume, satisfied here and wired in cmd.
var _ ports.ActivityRecorder = (*Service)(nil)

// Service is the security-activity capability.
type Service struct {
	d Deps
}

// New returns a Service; it panics on missing dependencies.
func New(d Deps) *Service {
	if d.Events == nil || d.UA == nil || d.Clock == nil || d.Random == nil {
		panic("activity: nil dependency")
	}
	return &Service{d: d}
}

// Record writes an event about the user in the transaction of ctx, with the
// client ctx carries (see auth.WithClient). It implements
// ports.ActivityRecorder.
func (s *Service) Record(ctx context.Context, userID uuid.UUID, kind ports.EventKind, detail map[string]string) error {
	id, err := uuid.NewRandomFromReader(s.d.Random)
	if err != nil {
		return fmt.Errorf("activity: id: %w", err)
	}
	e := ports.SecurityEvent{ID: id, UserID: userID, Kind: kind, Detail: maps.Clone(detail),
		CreatedAt: s.d.Clock.Now().UTC().Truncate(time.Microsecond)}
	if e.Detail == nil {
		e.Detail = map[string]string{}
	}
	if c, ok := auth.ClientFrom(ctx); ok {
		e.IP, e.UserAgent = c.IP.Unmap(), c.UserAgent
		if c.UserAgent != "" {
			e.DeviceName = s.d.UA.Parse(c.UserAgent).Name
		}
	}
	if err := s.d.Events.CreateSecurityEvent(ctx, e); err != nil {
		return fmt.Errorf("activity: record %s: %w", kind, err)
	}
	return nil
}

// DefaultLimit and MaxLimit bound how many events Recent returns.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Recent returns the user's latest events, newest first: limit of them, or
// DefaultLimit when limit is zero. auth.ErrInvalidRequest for a limit below
// zero or above MaxLimit.
func (s *Service) Recent(ctx context.Context, userID uuid.UUID, limit int) ([]ports.SecurityEvent, error) {
	if limit == 0 {
		limit = DefaultLimit
	}
	if limit < 1 || limit > MaxLimit {
		return nil, auth.ErrInvalidRequest.WithMessage(fmt.Sprintf("limit must be from 1 to %d.", MaxLimit))
	}
	events, err := s.d.Events.ListSecurityEventsByUser(ctx, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("activity: list: %w", err)
	}
	return events, nil
}

// Prune deletes the events older than retention: the activity list shows
// recent ones, and keeping a log of everyone's logins forever serves nobody.
// A user's own events go with the account anyway.
func (s *Service) Prune(ctx context.Context, retention time.Duration) (int, error) {
	n, err := s.d.Events.DeleteSecurityEventsBefore(ctx, s.d.Clock.Now().Add(-retention))
	if err != nil {
		return 0, fmt.Errorf("activity: prune: %w", err)
	}
	return n, nil
}
