package throttle

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/ports"
)

// Attempt implements ports.AccountLockout: it claims one attempt, or refuses
// with auth.RateLimited while the account is locked or waiting out its delay.
func (s *Service) Attempt(ctx context.Context, userID uuid.UUID) error {
	now := s.now()
	return s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		f, err := s.d.Store.LockAccountFailures(ctx, userID)
		if err != nil {
			return fmt.Errorf("throttle: attempt: %w", err)
		}
		f = s.current(f, now)
		if d := s.wait(f, now); d > 0 {
			return auth.RateLimited(d)
		}
		f.Failures++
		f.LastAttemptAt = now
		if err := s.d.Store.PutAccountFailures(ctx, f); err != nil {
			return fmt.Errorf("throttle: attempt: %w", err)
		}
		return nil
	})
}

// Fail implements ports.AccountLockout: the claimed attempt was wrong. The
// failure that reaches the threshold locks the account, and queues the
// owner's email and records the lock in the same transaction; the row lock
// makes it exactly one failure per lock.
func (s *Service) Fail(ctx context.Context, userID uuid.UUID) error {
	now := s.now()
	return s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		f, err := s.d.Store.LockAccountFailures(ctx, userID)
		if err != nil {
			return fmt.Errorf("throttle: fail: %w", err)
		}
		f = s.current(f, now)
		if f.Failures == 0 {
			// A success reset the run while this attempt was checked: the
			// new run starts with it.
			f.Failures, f.LastAttemptAt = 1, now
		}
		f.LastFailureAt = now
		locks := f.Failures >= s.cfg.Threshold && f.LockedUntil == nil
		if locks {
			until := now.Add(s.cfg.LockFor)
			f.LockedUntil = &until
		}
		if err := s.d.Store.PutAccountFailures(ctx, f); err != nil {
			return fmt.Errorf("throttle: fail: %w", err)
		}
		if !locks {
			return nil
		}
		job := ports.SendEmailJob{UserID: userID, Email: ports.EmailAccountLocked}
		if _, err := s.d.Jobs.Enqueue(ctx, job, ports.JobOpts{}); err != nil {
			return fmt.Errorf("throttle: enqueue locked email: %w", err)
		}
		return s.record(ctx, userID, ports.EventAccountLocked,
			map[string]string{"until": f.LockedUntil.Format(time.RFC3339)})
	})
}

// Release implements ports.AccountLockout: the claimed attempt is taken
// back; the run's earlier failures stay.
func (s *Service) Release(ctx context.Context, userID uuid.UUID) error {
	now := s.now()
	return s.d.Tx.WithinTx(ctx, func(ctx context.Context) error {
		f, err := s.d.Store.LockAccountFailures(ctx, userID)
		if err != nil {
			return fmt.Errorf("throttle: release: %w", err)
		}
		f = s.current(f, now)
		if f.Failures > 0 {
			f.Failures--
		}
		if f.Failures == 0 && f.LockedUntil == nil {
			err = s.d.Store.DeleteAccountFailures(ctx, userID)
		} else {
			err = s.d.Store.PutAccountFailures(ctx, f)
		}
		if err != nil {
			return fmt.Errorf("throttle: release: %w", err)
		}
		return nil
	})
}

// Reset implements ports.AccountLockout: the run is over.
func (s *Service) Reset(ctx context.Context, userID uuid.UUID) error {
	if err := s.d.Store.DeleteAccountFailures(ctx, userID); err != nil {
		return fmt.Errorf("throttle: reset: %w", err)
	}
	return nil
}

// current is f as it stands at now: a run whose lock has ended, or that has
// been quiet for Window, starts over; so does one stuck at the threshold
// without a lock for LockFor (its attempts never told how they ended: the
// process checking them stopped).
func (s *Service) current(f ports.AccountFailures, now time.Time) ports.AccountFailures {
	fresh := ports.AccountFailures{UserID: f.UserID}
	if f.LockedUntil != nil {
		if !now.Before(*f.LockedUntil) {
			return fresh
		}
		return f
	}
	last := f.LastAttemptAt
	if f.LastFailureAt.After(last) {
		last = f.LastFailureAt
	}
	if !now.Before(last.Add(s.cfg.Window)) ||
		(f.Failures >= s.cfg.Threshold && !now.Before(last.Add(s.cfg.LockFor))) {
		return fresh
	}
	return f
}

// wait is how long from now the account refuses attempts; zero when it
// takes one.
func (s *Service) wait(f ports.AccountFailures, now time.Time) time.Duration {
	switch {
	case f.LockedUntil != nil:
		return f.LockedUntil.Sub(now)
	case f.Failures >= s.cfg.Threshold:
		// Attempts at the threshold are still being checked: the first to
		// fail locks, a success resets. Either way the answer comes soon.
		return max(s.delay(f.Failures), time.Second)
	case f.Failures >= s.cfg.DelayAfter && !f.LastFailureAt.IsZero():
		return max(f.LastFailureAt.Add(s.delay(f.Failures)).Sub(now), 0)
	}
	return 0
}

// delay is the wait after n failures: Delay, doubled for each failure past
// DelayAfter, at most LockFor.
func (s *Service) delay(n int) time.Duration {
	if n < s.cfg.DelayAfter {
		return 0
	}
	d := s.cfg.Delay
	for range n - s.cfg.DelayAfter {
		if d >= s.cfg.LockFor {
			break
		}
		d *= 2
	}
	return min(d, s.cfg.LockFor)
}
