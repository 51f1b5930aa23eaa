package deletion

import (
	"fmt"
	"net/url"
	"time"

	"github.com/google/uuid"

	"authd/ports"
)

// Deps are the ports the service uses.
type Deps struct {
	Store ports.DeletionStore
	Data  ports.UserDataStore
	Users ports.UserStore
	// Sessions ends the user's other sessions when they ask for deletion
	// (*session.Service).
	Sessions ports.SessionRevoker
	Tx       ports.TxRunner
	Jobs     ports.Enqueuer
	// Canceller cancels the hard-delete job of a cancelled request.
	Canceller ports.JobCanceller
	// Activity records requests and cancellations (*activity.Service).
	Activity ports.ActivityRecorder
	Clock    ports.Clock
	Random   ports.Random
}

// Config is what the service needs to know.
type Config struct {
	// Grace is how long after a request the account is deleted.
	Grace time.Duration
	// AppURL is the base of the cancellation link in emails.
	AppURL *url.URL
}

// Service is the deletion capability.
type Service struct {
	d   Deps
	cfg Config
}

// New returns a Service; it panics on missing dependencies or settings.
func New(d Deps, cfg Config) *Service {
	if d.Store == nil || d.Data == nil || d.Users == nil || d.Sessions == nil || d.Tx == nil || d.Jobs == nil ||
		d.Canceller == nil || d.Activity == nil || d.Clock == nil || d.Random == nil {
		panic("deletion: nil dependency")
	}
	if cfg.Grace <= 0 || cfg.AppURL == nil {
		panic("deletion: a positive grace period and the app URL are required")
	}
	return &Service{d: d, cfg: cfg}
}

// Grace is how long after a request the account is deleted.
func (s *Service) Grace() time.Duration { return s.cfg.Grace }

// now is the clock at PostgreSQL's precision, so what is stored is what is
// compared.
func (s *Service) now() time.Time { return s.d.Clock.Now().UTC().Truncate(time.Microsecond) }

func (s *Service) newID() (uuid.UUID, error) {
	id, err := uuid.NewRandomFromReader(s.d.Random)
	if err != nil {
		return uuid.Nil, fmt.Errorf("deletion: id: %w", err)
	}
	return id, nil
}
