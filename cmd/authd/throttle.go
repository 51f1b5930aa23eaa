package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"authd/core/throttle"
)

// throttleConfig is the brute-force defence's settings.
type throttleConfig struct {
	// Lockout is the per-account policy (without AppURL and Limits).
	Lockout throttle.Config
	// Limits are the per-IP limits by kind; a kind that is off is absent.
	Limits map[string]throttle.Rate
	// ForgotPerIP and ForgotWindow bound password-reset requests per client
	// IP (ForgotPerIP -1: off).
	ForgotPerIP  int
	ForgotWindow time.Duration
}

// rateVars names the per-IP limit of each kind and its default.
var rateVars = []struct{ name, kind, def string }{
	{"AUTHD_RATE_LIMIT_LOGIN", throttle.LimitLogin, "30/1m"},
	{"AUTHD_RATE_LIMIT_SIGNUP", throttle.LimitSignup, "10/1h"},
	{"AUTHD_RATE_LIMIT_RESEND", throttle.LimitResend, "30/1h"},
	{"AUTHD_RATE_LIMIT_STEP_UP", throttle.LimitStepUp, "30/1m"},
}

// loadThrottleConfig reads the lockout and rate-limit settings into c.
func loadThrottleConfig(c *config, getenv func(string) string) error {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	t := &c.Throttle
	var err error
	if t.Lockout.Threshold, err = positiveInt(env("AUTHD_LOCKOUT_THRESHOLD", "10")); err != nil {
		return &configError{"AUTHD_LOCKOUT_THRESHOLD", err.Error()}
	}
	if t.Lockout.DelayAfter, err = positiveInt(env("AUTHD_LOCKOUT_DELAY_AFTER", "5")); err != nil {
		return &configError{"AUTHD_LOCKOUT_DELAY_AFTER", err.Error()}
	}
	if t.Lockout.DelayAfter > t.Lockout.Threshold {
		return &configError{"AUTHD_LOCKOUT_DELAY_AFTER", fmt.Sprintf(
			"must not exceed AUTHD_LOCKOUT_THRESHOLD (%d); equal means no delay before the lock", t.Lockout.Threshold)}
	}
	if t.Lockout.LockFor, err = parseDuration(env("AUTHD_LOCKOUT_DURATION", "15m")); err != nil {
		return &configError{"AUTHD_LOCKOUT_DURATION", err.Error()}
	}
	if t.Lockout.Delay, err = parseDuration(env("AUTHD_LOCKOUT_DELAY", "1s")); err != nil {
		return &configError{"AUTHD_LOCKOUT_DELAY", err.Error()}
	}
	if t.Lockout.Window, err = parseDuration(env("AUTHD_LOCKOUT_WINDOW", "24h")); err != nil {
		return &configError{"AUTHD_LOCKOUT_WINDOW", err.Error()}
	}
	t.Limits = map[string]throttle.Rate{}
	for _, v := range rateVars {
		r, err := parseRate(env(v.name, v.def))
		if err != nil {
			return &configError{v.name, err.Error()}
		}
		if r.N > 0 {
			t.Limits[v.kind] = r
		}
	}
	forgot, err := parseRate(env("AUTHD_RATE_LIMIT_FORGOT", "20/1h"))
	if err != nil {
		return &configError{"AUTHD_RATE_LIMIT_FORGOT", err.Error()}
	}
	t.ForgotPerIP, t.ForgotWindow = forgot.N, forgot.Per
	if forgot.N == 0 {
		t.ForgotPerIP = -1
	}
	return nil
}

// parseRate reads "N/duration" (30/1m, 10/1h) or "off", which is the zero
// Rate.
func parseRate(s string) (throttle.Rate, error) {
	const want = `want N/duration such as 30/1m or 10/1h, or "off"`
	if s == "off" {
		return throttle.Rate{}, nil
	}
	n, per, ok := strings.Cut(s, "/")
	if !ok {
		return throttle.Rate{}, fmt.Errorf("%q: %s", s, want)
	}
	count, err := positiveInt(n)
	if err != nil {
		return throttle.Rate{}, fmt.Errorf("%q: %s", s, want)
	}
	window, err := time.ParseDuration(per)
	if err != nil || window < time.Second {
		return throttle.Rate{}, fmt.Errorf("%q: the window must be a duration of a second or more (%s)", s, want)
	}
	return throttle.Rate{N: count, Per: window}, nil
}

func positiveInt(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("not a whole number of 1 or more")
	}
	return n, nil
}
