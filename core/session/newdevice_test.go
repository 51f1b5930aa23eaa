package session_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/core/session"
	"authd/ports"
)

// alerts returns the sessions new-device alerts were committed for.
func (b testBundle) alerts(t *testing.T) []uuid.UUID {
	t.Helper()
	var out []uuid.UUID
	for _, j := range b.db.Jobs() {
		job, ok := j.Args.(ports.SendEmailJob)
		if !ok || job.Email != ports.EmailNewDevice {
			t.Fatalf("unexpected job %+v", j.Args)
		}
		if job.UserID != b.user.ID {
			t.Fatalf("alert for user %v, want %v", job.UserID, b.user.ID)
		}
		out = append(out, job.SessionID)
	}
	return out
}

// from is where a sign-in comes from: an address and a user agent.
type from struct{ ip, ua string }

func TestNewDeviceAlert(t *testing.T) {
	t.Parallel()
	const laptop, phone = "Firefox on Linux", "Safari on iPhone"
	cases := []struct {
		name  string
		first from
		then  from
		wait  time.Duration
		alert bool
	}{
		{name: "NewDeviceNameOnAKnownNetworkAlerts",
			first: from{"198.51.100.4", laptop}, then: from{"198.51.100.4", phone}, alert: true},
		{name: "KnownDeviceOnANewNetworkAlerts",
			first: from{"198.51.100.4", laptop}, then: from{"198.51.101.4", laptop}, alert: true},
		{name: "KnownDeviceElsewhereInTheSameSlash24IsQuiet",
			first: from{"198.51.100.4", laptop}, then: from{"198.51.100.200", laptop}},
		{name: "KnownDeviceElsewhereInTheSameSlash48IsQuiet",
			first: from{"2001:db8:7:1::1", laptop}, then: from{"2001:db8:7:ffff::9", laptop}},
		{name: "KnownDeviceInAnotherSlash48Alerts",
			first: from{"2001:db8:7:1::1", laptop}, then: from{"2001:db8:8:1::1", laptop}, alert: true},
		{name: "IPv4MappedAddressIsItsIPv4Network",
			first: from{"198.51.100.4", laptop}, then: from{"::ffff:198.51.100.9", laptop}},
		{name: "DeviceUnseenForNinetyDaysAlertsAgain", wait: 90*24*time.Hour + time.Second,
			first: from{"198.51.100.4", laptop}, then: from{"198.51.100.4", laptop}, alert: true},
		{name: "DeviceSeenWithinNinetyDaysIsQuiet", wait: 90 * 24 * time.Hour,
			first: from{"198.51.100.4", laptop}, then: from{"198.51.100.4", laptop}},
		{name: "UnknownAddressCannotBePlacedAndIsQuiet",
			first: from{"198.51.100.4", laptop}, then: from{"", phone}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			first := b.startFrom(t, c.first.ip, c.first.ua)
			if got := b.alerts(t); len(got) != 0 {
				t.Fatalf("the account's first session alerted: %v", got)
			}
			if err := b.svc.Logout(context.Background(), first.Session); err != nil {
				t.Fatal(err) // a device the user signed out of is still known
			}
			b.clock.Advance(c.wait)
			then := b.startFrom(t, c.then.ip, c.then.ua)
			got := b.alerts(t)
			switch {
			case c.alert && (len(got) != 1 || got[0] != then.Session.ID):
				t.Fatalf("alerts = %v, want one for %v", got, then.Session.ID)
			case !c.alert && len(got) != 0:
				t.Fatalf("alerts = %v, want none", got)
			}
		})
	}
}

// failingJobs is an Enqueuer whose insert fails, to prove the session does
// not commit without its alert.
type failingJobs struct{}

var errQueue = errors.New("queue down")

func (failingJobs) Enqueue(context.Context, ports.Job, ports.JobOpts) (int64, error) {
	return 0, errQueue
}

func TestNewDeviceAlertCommitsWithTheSession(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("FailedEnqueueLeavesNoSession", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(d *session.Deps) { d.Jobs = failingJobs{} })
		b.startFrom(t, "198.51.100.4", "laptop") // the first session enqueues nothing
		_, err := b.svc.Start(ctx, b.user.ID, auth.Client{IP: netip.MustParseAddr("203.0.113.1"), UserAgent: "phone"},
			auth.MethodPassword)
		if !errors.Is(err, errQueue) {
			t.Fatalf("Start = %v, want the queue's error", err)
		}
		if list, _ := b.svc.List(ctx, b.user.ID); len(list) != 1 {
			t.Fatalf("%d sessions, want only the first: the second must roll back with its alert", len(list))
		}
	})
	t.Run("CallerRollbackDropsTheAlert", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.startFrom(t, "198.51.100.4", "laptop")
		boom := errors.New("boom")
		err := b.db.WithinTx(ctx, func(ctx context.Context) error {
			if _, err := b.svc.Start(ctx, b.user.ID,
				auth.Client{IP: netip.MustParseAddr("203.0.113.1"), UserAgent: "phone"}, auth.MethodPassword); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if got := b.alerts(t); len(got) != 0 {
			t.Fatalf("a rolled-back sign-in left alerts %v", got)
		}
	})
}

func TestComposeNewDeviceEmail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("TellsTheUserWhatWhereAndWhen", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.startFrom(t, "198.51.100.4", "laptop")
		b.clock.Advance(90 * time.Minute)
		s := b.startFrom(t, "203.0.113.9", "Safari on iPhone")
		email, err := b.svc.ComposeNewDeviceEmail(ctx, ports.SendEmailJob{UserID: b.user.ID, Email: ports.EmailNewDevice, SessionID: s.Session.ID})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"device": "Safari on iPhone", "ip": "203.0.113.9", "when": "Fri, 01 May 2026 10:30:00 UTC"}
		if email.To != b.user.Email || email.Kind != ports.EmailNewDevice || len(email.Vars) != len(want) {
			t.Fatalf("email = %+v", email)
		}
		for k, v := range want {
			if email.Vars[k] != v {
				t.Errorf("Vars[%s] = %q, want %q", k, email.Vars[k], v)
			}
		}
	})
	t.Run("RevokedSessionIsStillReported", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		s := b.start(t)
		if err := b.svc.Logout(ctx, s.Session); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.ComposeNewDeviceEmail(ctx, ports.SendEmailJob{UserID: b.user.ID, SessionID: s.Session.ID}); err != nil {
			t.Fatalf("a sign-in that happened must be reported even if signed out since: %v", err)
		}
	})
	t.Run("GoneSubjectIsNotFoundSoTheJobIsCancelled", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		mine := b.start(t)
		ghost := auth.Session{ID: uuid.New(), UserID: uuid.New(), TokenHash: []byte("ghost"), Device: auth.Device{Name: "x"}}
		if err := b.db.CreateSession(ctx, ghost); err != nil {
			t.Fatal(err)
		}
		for name, job := range map[string]ports.SendEmailJob{
			"UnknownSession":        {UserID: b.user.ID, SessionID: uuid.New()},
			"AnotherUsersSession":   {UserID: uuid.New(), SessionID: mine.Session.ID},
			"SessionOfADeletedUser": {UserID: ghost.UserID, SessionID: ghost.ID},
		} {
			if _, err := b.svc.ComposeNewDeviceEmail(ctx, job); !errors.Is(err, auth.ErrNotFound) {
				t.Errorf("%s: error = %v, want auth.ErrNotFound", name, err)
			}
		}
	})
}
