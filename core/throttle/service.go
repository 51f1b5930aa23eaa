package throttle

import (
	"context"
	"net/url"
	"time"

	"github.com/google/uuid"

	"authd/ports"
)

// Deps are the ports the service uses.
type Deps struct {
	Store ports.ThrottleStore
	// Users gives the locked email its address.
	Users ports.UserStore
	Tx    ports.TxRunner
	Jobs  ports.Enqueuer
	Clock ports.Clock
	// Activity records locks (*activity.Service). Optional: nil records
	// nothing.
	Activity ports.ActivityRecorder
}

// Rate allows N requests per window of length Per.
type Rate struct {
	N   int
	Per time.Duration
}

// The names of the per-IP limits, one per kind of request.
const (
	LimitLogin  = "login" // POST /v1/login and /v1/login/mfa
	LimitSignup = "signup"
	LimitResend = "resend"
	LimitStepUp = "step_up"
)

// Config is the policy. Zero fields take the defaults in brackets.
type Config struct {
	// Threshold failures in a run lock the account for LockFor [10, 15m].
	Threshold int
	LockFor   time.Duration
	// After DelayAfter failures an attempt waits Delay after the last
	// failure, doubled for each failure since, at most LockFor [5, 1s].
	// DelayAfter equal to Threshold means no delay before the lock.
	DelayAfter int
	Delay      time.Duration
	// Window is how long after its latest attempt a run is forgotten [24h].
	Window time.Duration
	// Limits are the per-IP limits by name (LimitLogin...); a name without
	// one, or with N zero, is not limited.
	Limits map[string]Rate
	// AppURL is the base of the link in the locked email.
	AppURL *url.URL
}

// Service is the throttle capability.
type Service struct {
	d   Deps
	cfg Config
}

var _ ports.AccountLockout = (*Service)(nil)

// New returns a Service; it panics on missing dependencies or an
// inconsistent policy, so bad wiring fails at start.
func New(d Deps, cfg Config) *Service {
	if d.Store == nil || d.Users == nil || d.Tx == nil || d.Jobs == nil || d.Clock == nil {
		panic("throttle: nil dependency")
	}
	if cfg.AppURL == nil {
		panic("throttle: app URL is required")
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&cfg.Threshold, 10)
	def(&cfg.DelayAfter, 5)
	defDur(&cfg.LockFor, 15*time.Minute)
	defDur(&cfg.Delay, time.Second)
	defDur(&cfg.Window, 24*time.Hour)
	if cfg.Threshold < 1 || cfg.DelayAfter < 1 || cfg.DelayAfter > cfg.Threshold || cfg.LockFor < 0 ||
		cfg.Delay < 0 || cfg.Window < 0 {
		panic("throttle: want 1 <= DelayAfter <= Threshold and positive durations")
	}
	for name, r := range cfg.Limits {
		if r.N < 0 || (r.N > 0 && r.Per < time.Second) {
			panic("throttle: limit " + name + " needs a window of a second or more")
		}
	}
	return &Service{d: d, cfg: cfg}
}

// now is the clock at PostgreSQL's precision, so what is stored is what is
// compared.
func (s *Service) now() time.Time { return s.d.Clock.Now().UTC().Truncate(time.Microsecond) }

// record writes a security event in the transaction of ctx, when the
// service records any.
func (s *Service) record(ctx context.Context, userID uuid.UUID, kind ports.EventKind, detail map[string]string) error {
	if s.d.Activity == nil {
		return nil
	}
	return s.d.Activity.Record(ctx, userID, kind, detail)
}
