package main

import (
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"authd/adapters/httpapi/clientip"
)

// config is every setting, read from the environment once at start.
type config struct {
	DatabaseURL     string
	Addr            string
	PublicURL       *url.URL
	AppURL          *url.URL
	SMTPURL         string
	MailFrom        string
	AdminToken      string
	TrustedProxies  []netip.Prefix
	SessionLifetime time.Duration
	SessionIdle     time.Duration
	LogLevel        string
}

// configError is a bad setting: the program stops with exit code 2 and one
// line naming the variable.
type configError struct {
	name, problem string
}

func (e *configError) Error() string { return e.name + ": " + e.problem }

const defaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/authd?sslmode=disable"

func loadConfig(getenv func(string) string) (config, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var c config
	var err error
	c.DatabaseURL = env("DATABASE_URL", defaultDatabaseURL)
	if _, err := pgxpool.ParseConfig(c.DatabaseURL); err != nil {
		return c, &configError{"DATABASE_URL", "not a PostgreSQL connection URL (want postgres://user@host:5432/db)"}
	}
	c.Addr = env("AUTHD_ADDR", ":8080")
	if err := checkAddr(c.Addr); err != nil {
		return c, &configError{"AUTHD_ADDR", err.Error()}
	}
	if c.PublicURL, err = parseBaseURL(env("AUTHD_PUBLIC_URL", "http://localhost:8080")); err != nil {
		return c, &configError{"AUTHD_PUBLIC_URL", err.Error()}
	}
	if c.AppURL, err = parseBaseURL(env("AUTHD_APP_URL", c.PublicURL.String())); err != nil {
		return c, &configError{"AUTHD_APP_URL", err.Error()}
	}
	c.SMTPURL = getenv("AUTHD_SMTP_URL")
	c.MailFrom = env("AUTHD_MAIL_FROM", "authd <no-reply@localhost>")
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		return c, &configError{"AUTHD_MAIL_FROM", "not an email address (want \"Name <addr@example.com>\")"}
	}
	c.AdminToken = getenv("AUTHD_ADMIN_TOKEN")
	if c.AdminToken != "" && len(c.AdminToken) < 32 {
		return c, &configError{"AUTHD_ADMIN_TOKEN", "must be at least 32 characters (or empty to disable the admin API)"}
	}
	if c.TrustedProxies, err = clientip.ParseTrusted(getenv("AUTHD_TRUSTED_PROXIES")); err != nil {
		return c, &configError{"AUTHD_TRUSTED_PROXIES", err.Error()}
	}
	if c.SessionLifetime, err = parseDuration(env("AUTHD_SESSION_LIFETIME", "720h")); err != nil {
		return c, &configError{"AUTHD_SESSION_LIFETIME", err.Error()}
	}
	if c.SessionIdle, err = parseDuration(env("AUTHD_SESSION_IDLE_TIMEOUT", "168h")); err != nil {
		return c, &configError{"AUTHD_SESSION_IDLE_TIMEOUT", err.Error()}
	}
	c.LogLevel = env("AUTHD_LOG_LEVEL", "info")
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return c, &configError{"AUTHD_LOG_LEVEL", "must be debug, info, warn or error"}
	}
	return c, nil
}

func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("not host:port (want e.g. :8080 or 127.0.0.1:8080)")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	return nil
}

func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("not an absolute http(s) URL")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("must not carry a query or fragment")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u, nil
}

func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("not a positive duration (want e.g. 720h or 30m)")
	}
	return d, nil
}
