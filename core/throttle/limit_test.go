package throttle_test

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/core/auth"
	"authd/core/throttle"
	"authd/ports"
)

func TestPerIPLimits(t *testing.T) {
	t.Parallel()
	limits := map[string]throttle.Rate{throttle.LimitLogin: {N: 3, Per: time.Minute},
		throttle.LimitSignup: {N: 1, Per: time.Hour}}
	ip := netip.MustParseAddr("203.0.113.9")
	allow := func(t *testing.T, b testBundle, name string, ip netip.Addr) error {
		t.Helper()
		return b.svc.Allow(ctx, name, ip)
	}
	t.Run("RefusedPastTheLimitUntilTheWindowEnds", func(t *testing.T) {
		t.Parallel()
		b := setup(t, throttle.Config{Limits: limits})
		b.clock.Advance(20 * time.Second) // 14:05:20: the window opened at 14:05:00
		for i := range 3 {
			if err := allow(t, b, throttle.LimitLogin, ip); err != nil {
				t.Fatalf("request %d: %v", i+1, err)
			}
		}
		err := allow(t, b, throttle.LimitLogin, ip)
		if !errors.Is(err, auth.ErrRateLimited) || retryAfter(err) != 40*time.Second {
			t.Fatalf("fourth request = %v (retry after %v), want rate_limited after 40s", err, retryAfter(err))
		}
		b.clock.Advance(40 * time.Second)
		if err := allow(t, b, throttle.LimitLogin, ip); err != nil {
			t.Fatalf("in the next window: %v", err)
		}
	})
	t.Run("ClientsAndKindsCountApart", func(t *testing.T) {
		t.Parallel()
		b := setup(t, throttle.Config{Limits: limits})
		if err := allow(t, b, throttle.LimitSignup, ip); err != nil {
			t.Fatal(err)
		}
		if err := allow(t, b, throttle.LimitSignup, ip); !errors.Is(err, auth.ErrRateLimited) {
			t.Fatalf("second signup = %v, want rate_limited", err)
		}
		for _, other := range []string{"203.0.113.10", "::ffff:203.0.113.11", "2001:db8:1::1"} {
			if err := allow(t, b, throttle.LimitSignup, netip.MustParseAddr(other)); err != nil {
				t.Fatalf("signup from %s: %v", other, err)
			}
		}
		if err := allow(t, b, throttle.LimitLogin, ip); err != nil {
			t.Fatalf("a login after the signup limit: %v", err)
		}
	})
	t.Run("AnIPv6SlashSixtyFourIsOneClient", func(t *testing.T) {
		t.Parallel()
		b := setup(t, throttle.Config{Limits: limits})
		if err := allow(t, b, throttle.LimitSignup, netip.MustParseAddr("2001:db8:aa:bb::1")); err != nil {
			t.Fatal(err)
		}
		if err := allow(t, b, throttle.LimitSignup, netip.MustParseAddr("2001:db8:aa:bb:ffff::2")); !errors.Is(err, auth.ErrRateLimited) {
			t.Fatalf("another address of the same /64 = %v, want rate_limited", err)
		}
		if err := allow(t, b, throttle.LimitSignup, netip.MustParseAddr("2001:db8:aa:bc::1")); err != nil {
			t.Fatalf("the next /64: %v", err)
		}
		if err := allow(t, b, throttle.LimitSignup, netip.MustParseAddr("::ffff:198.51.100.7")); err != nil {
			t.Fatalf("a mapped IPv4 address: %v", err)
		}
		if err := allow(t, b, throttle.LimitSignup, netip.MustParseAddr("198.51.100.7")); !errors.Is(err, auth.ErrRateLimited) {
			t.Fatalf("the same IPv4 address unmapped = %v, want rate_limited", err)
		}
	})
	t.Run("UnlimitedKindsAndUnknownAddressesPass", func(t *testing.T) {
		t.Parallel()
		b := setup(t, throttle.Config{Limits: limits})
		for range 10 {
			if err := allow(t, b, throttle.LimitStepUp, ip); err != nil {
				t.Fatal(err)
			}
			if err := allow(t, b, throttle.LimitSignup, netip.Addr{}); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestComposeLockedEmail(t *testing.T) {
	t.Parallel()
	job := func(b testBundle) ports.SendEmailJob {
		return ports.SendEmailJob{UserID: b.user.ID, Email: ports.EmailAccountLocked}
	}
	t.Run("SaysUntilWhenAndLinksToTheResetPage", func(t *testing.T) {
		t.Parallel()
		b := setup(t, throttle.Config{Threshold: 1, DelayAfter: 1})
		b.fail(t)
		e, err := b.svc.ComposeLockedEmail(ctx, job(b))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"until": "Tue, 02 Jun 2026 14:20:00 UTC",
			"reset_link": "https://app.example.com/account/forgot-password"}
		if e.To != b.user.Email || e.Kind != ports.EmailAccountLocked || len(e.Vars) != 2 ||
			e.Vars["until"] != want["until"] || e.Vars["reset_link"] != want["reset_link"] {
			t.Fatalf("email = %+v, want to %s with %v", e, b.user.Email, want)
		}
	})
	t.Run("DroppedOnceTheLockIsLifted", func(t *testing.T) {
		t.Parallel()
		b := setup(t, throttle.Config{Threshold: 1, DelayAfter: 1})
		b.fail(t)
		if err := b.svc.Reset(ctx, b.user.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.ComposeLockedEmail(ctx, job(b)); !errors.Is(err, auth.ErrNotFound) {
			t.Fatalf("compose after a reset = %v, want not_found (dropped)", err)
		}
	})
	t.Run("DroppedWhenTheUserIsGone", func(t *testing.T) {
		t.Parallel()
		b := setup(t, throttle.Config{})
		gone := ports.SendEmailJob{UserID: uuid.New(), Email: ports.EmailAccountLocked}
		if _, err := b.svc.ComposeLockedEmail(ctx, gone); !errors.Is(err, auth.ErrNotFound) {
			t.Fatalf("compose for no user = %v, want not_found", err)
		}
	})
}

func TestCleanup(t *testing.T) {
	t.Parallel()
	b := setup(t, throttle.Config{Window: time.Hour,
		Limits: map[string]throttle.Rate{throttle.LimitLogin: {N: 5, Per: time.Minute}, throttle.LimitSignup: {N: 5, Per: 30 * time.Minute}}})
	ip := netip.MustParseAddr("203.0.113.9")
	for _, name := range []string{throttle.LimitLogin, throttle.LimitSignup} {
		if err := b.svc.Allow(ctx, name, ip); err != nil {
			t.Fatal(err)
		}
	}
	b.fail(t)
	b.clock.Advance(20 * time.Minute)
	if w, r, err := b.svc.Cleanup(ctx); err != nil || w != 0 || r != 0 {
		t.Fatalf("cleanup at +20m = %d windows, %d runs, %v; want nothing yet (no window is older than the longest limit)", w, r, err)
	}
	b.clock.Advance(time.Hour)
	if w, r, err := b.svc.Cleanup(ctx); err != nil || w != 2 || r != 1 {
		t.Fatalf("cleanup at +80m = %d windows, %d runs, %v; want 2 and 1", w, r, err)
	}
}
