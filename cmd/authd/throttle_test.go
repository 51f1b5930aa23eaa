package main

import (
	"errors"
	"testing"
	"time"

	"authd/core/throttle"
)

func TestThrottleConfig(t *testing.T) {
	t.Parallel()
	load := func(env map[string]string) (config, error) {
		return loadConfig(func(k string) string { return env[k] })
	}
	t.Run("Defaults", func(t *testing.T) {
		t.Parallel()
		c, err := load(nil)
		if err != nil {
			t.Fatal(err)
		}
		l := c.Throttle.Lockout
		if l.Threshold != 10 || l.DelayAfter != 5 || l.LockFor != 15*time.Minute || l.Delay != time.Second || l.Window != 24*time.Hour {
			t.Fatalf("lockout defaults = %+v", l)
		}
		want := map[string]throttle.Rate{throttle.LimitLogin: {N: 30, Per: time.Minute}, throttle.LimitSignup: {N: 10, Per: time.Hour},
			throttle.LimitResend: {N: 30, Per: time.Hour}, throttle.LimitStepUp: {N: 30, Per: time.Minute}}
		if len(c.Throttle.Limits) != len(want) {
			t.Fatalf("limits = %v, want %v", c.Throttle.Limits, want)
		}
		for k, v := range want {
			if c.Throttle.Limits[k] != v {
				t.Fatalf("limits = %v, want %v", c.Throttle.Limits, want)
			}
		}
		if c.Throttle.ForgotPerIP != 20 || c.Throttle.ForgotWindow != time.Hour {
			t.Fatalf("forgot = %d/%v, want 20/1h", c.Throttle.ForgotPerIP, c.Throttle.ForgotWindow)
		}
	})
	t.Run("SettingsAndOff", func(t *testing.T) {
		t.Parallel()
		c, err := load(map[string]string{"AUTHD_LOCKOUT_THRESHOLD": "3", "AUTHD_LOCKOUT_DELAY_AFTER": "3",
			"AUTHD_LOCKOUT_DURATION": "2m", "AUTHD_LOCKOUT_DELAY": "250ms", "AUTHD_LOCKOUT_WINDOW": "1h",
			"AUTHD_RATE_LIMIT_LOGIN": "5/10s", "AUTHD_RATE_LIMIT_SIGNUP": "off", "AUTHD_RATE_LIMIT_FORGOT": "off"})
		if err != nil {
			t.Fatal(err)
		}
		l := c.Throttle.Lockout
		if l.Threshold != 3 || l.DelayAfter != 3 || l.LockFor != 2*time.Minute || l.Delay != 250*time.Millisecond || l.Window != time.Hour {
			t.Fatalf("lockout = %+v", l)
		}
		if r, ok := c.Throttle.Limits[throttle.LimitLogin]; !ok || r != (throttle.Rate{N: 5, Per: 10 * time.Second}) {
			t.Fatalf("login limit = %v", r)
		}
		if _, ok := c.Throttle.Limits[throttle.LimitSignup]; ok {
			t.Fatal("signup limit present though off")
		}
		if c.Throttle.ForgotPerIP != -1 {
			t.Fatalf("forgot per IP = %d, want -1 (off)", c.Throttle.ForgotPerIP)
		}
	})
	t.Run("BadValuesAreConfigErrors", func(t *testing.T) {
		t.Parallel()
		for name, env := range map[string]map[string]string{
			"AUTHD_LOCKOUT_THRESHOLD":   {"AUTHD_LOCKOUT_THRESHOLD": "0"},
			"AUTHD_LOCKOUT_DELAY_AFTER": {"AUTHD_LOCKOUT_THRESHOLD": "4", "AUTHD_LOCKOUT_DELAY_AFTER": "5"},
			"AUTHD_LOCKOUT_DURATION":    {"AUTHD_LOCKOUT_DURATION": "forever"},
			"AUTHD_LOCKOUT_DELAY":       {"AUTHD_LOCKOUT_DELAY": "-1s"},
			"AUTHD_LOCKOUT_WINDOW":      {"AUTHD_LOCKOUT_WINDOW": "0s"},
			"AUTHD_RATE_LIMIT_LOGIN":    {"AUTHD_RATE_LIMIT_LOGIN": "30"},
			"AUTHD_RATE_LIMIT_SIGNUP":   {"AUTHD_RATE_LIMIT_SIGNUP": "0/1h"},
			"AUTHD_RATE_LIMIT_RESEND":   {"AUTHD_RATE_LIMIT_RESEND": "5/100ms"},
			"AUTHD_RATE_LIMIT_STEP_UP":  {"AUTHD_RATE_LIMIT_STEP_UP": "many/1m"},
			"AUTHD_RATE_LIMIT_FORGOT":   {"AUTHD_RATE_LIMIT_FORGOT": "20/soon"},
		} {
			_, err := load(env)
			var ce *configError
			if !errors.As(err, &ce) || ce.name != name {
				t.Errorf("%v: %v, want a config error naming %s", env, err, name)
			}
		}
	})
}
