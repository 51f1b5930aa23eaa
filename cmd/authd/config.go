package main

import (
	"encoding/base64"
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
	DatabaseURL string
	// DatabaseURLSet is false when DATABASE_URL was left to its default,
	// which lets serve fall back to an embedded PostgreSQL.
	DatabaseURLSet   bool
	EmbeddedPostgres string // auto, always or never
	EmbeddedPort     uint32
	DataDir          string
	SessionCacheSize int
	Addr             string
	PublicURL        *url.URL
	AppURL           *url.URL
	SMTPURL          string
	MailFrom         string
	AdminToken       string
	TrustedProxies   []netip.Prefix
	SessionLifetime  time.Duration
	SessionIdle      time.Duration
	LogLevel         string
	// VerificationTTL is the lifetime of verification and email-change tokens.
	VerificationTTL time.Duration
	// RequireVerifiedLogin refuses logins until the address is verified.
	RequireVerifiedLogin bool
	// JobRetryBase scales River's attempt^4-second retry backoff; zero keeps
	// River's own.
	JobRetryBase time.Duration
	// EncryptionKey seals TOTP secrets: 32 bytes, or nil when unset (a key
	// generated and kept in the database is used then).
	EncryptionKey []byte
	StepUpMaxAge  time.Duration
	// DeletionGrace is how long after a deletion request the account goes.
	DeletionGrace time.Duration
	// ActivityRetention is how long security events are kept.
	ActivityRetention time.Duration
	// SAMLKeyPEM and SAMLCertPEM are the SP signing pair; nil when unset (a
	// pair generated on first start and kept in the database is used then).
	SAMLKeyPEM, SAMLCertPEM []byte
	// AllowedReturnOrigins are the origins an absolute SSO return_to may
	// point at.
	AllowedReturnOrigins []string
	// SAMLEmailAttributes name the attributes an SSO email is read from;
	// empty for the usual ones.
	SAMLEmailAttributes []string
	// Throttle is the account lockout and the per-IP limits.
	Throttle throttleConfig
	// MetricsToken, when set, is required as a bearer token by /metrics.
	MetricsToken string
	// WorkerMetricsAddr is where authd worker serves /metrics and /healthz;
	// empty serves nothing.
	WorkerMetricsAddr string
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
	c.DatabaseURLSet = getenv("DATABASE_URL") != ""
	c.EmbeddedPostgres = env("AUTHD_EMBEDDED_POSTGRES", "auto")
	switch c.EmbeddedPostgres {
	case "auto", "always", "never":
	default:
		return c, &configError{"AUTHD_EMBEDDED_POSTGRES", "must be auto, always or never"}
	}
	port, err := strconv.ParseUint(env("AUTHD_EMBEDDED_POSTGRES_PORT", "54329"), 10, 16)
	if err != nil || port == 0 {
		return c, &configError{"AUTHD_EMBEDDED_POSTGRES_PORT", "not a port number from 1 to 65535"}
	}
	c.EmbeddedPort = uint32(port)
	c.DataDir = env("AUTHD_DATA_DIR", "data")
	if c.SessionCacheSize, err = strconv.Atoi(env("AUTHD_SESSION_CACHE_SIZE", "100000")); err != nil || c.SessionCacheSize < 0 {
		return c, &configError{"AUTHD_SESSION_CACHE_SIZE", "not a whole number of sessions (0 turns the cache off)"}
	}
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
	c.MetricsToken = getenv("AUTHD_METRICS_TOKEN")
	if c.MetricsToken != "" && len(c.MetricsToken) < 32 {
		return c, &configError{"AUTHD_METRICS_TOKEN", "must be at least 32 characters (or empty to leave /metrics open)"}
	}
	if c.WorkerMetricsAddr = getenv("AUTHD_WORKER_METRICS_ADDR"); c.WorkerMetricsAddr != "" {
		if err := checkAddr(c.WorkerMetricsAddr); err != nil {
			return c, &configError{"AUTHD_WORKER_METRICS_ADDR", err.Error()}
		}
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
	if raw := getenv("AUTHD_ENCRYPTION_KEY"); raw != "" {
		if c.EncryptionKey, err = parseKey(raw); err != nil {
			return c, &configError{"AUTHD_ENCRYPTION_KEY", err.Error()}
		}
	}
	if c.StepUpMaxAge, err = parseDuration(env("AUTHD_STEP_UP_MAX_AGE", "10m")); err != nil {
		return c, &configError{"AUTHD_STEP_UP_MAX_AGE", err.Error()}
	}
	if c.DeletionGrace, err = parseDuration(env("AUTHD_DELETION_GRACE", "720h")); err != nil {
		return c, &configError{"AUTHD_DELETION_GRACE", err.Error()}
	}
	if c.ActivityRetention, err = parseDuration(env("AUTHD_ACTIVITY_RETENTION", "4320h")); err != nil {
		return c, &configError{"AUTHD_ACTIVITY_RETENTION", err.Error()}
	}
	if c.VerificationTTL, err = parseDuration(env("AUTHD_VERIFICATION_TTL", "24h")); err != nil {
		return c, &configError{"AUTHD_VERIFICATION_TTL", err.Error()}
	}
	if raw := getenv("AUTHD_REQUIRE_VERIFIED_LOGIN"); raw != "" {
		if c.RequireVerifiedLogin, err = strconv.ParseBool(raw); err != nil {
			return c, &configError{"AUTHD_REQUIRE_VERIFIED_LOGIN", "must be true or false"}
		}
	}
	if raw := getenv("AUTHD_JOB_RETRY_BASE"); raw != "" {
		if c.JobRetryBase, err = parseDuration(raw); err != nil {
			return c, &configError{"AUTHD_JOB_RETRY_BASE", err.Error()}
		}
	}
	if err := loadSAMLConfig(&c, getenv); err != nil {
		return c, err
	}
	if err := loadThrottleConfig(&c, getenv); err != nil {
		return c, err
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

// parseKey reads a 32-byte key in base64, standard or URL alphabet, padded
// or not, since key generators differ.
func parseKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(strings.TrimSpace(s)); err == nil {
			if len(k) != 32 {
				return nil, fmt.Errorf("decodes to %d bytes, want 32 (make one with: openssl rand -base64 32)", len(k))
			}
			return k, nil
		}
	}
	return nil, fmt.Errorf("not base64 (make one with: openssl rand -base64 32)")
}

func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("not a positive duration (want e.g. 720h or 30m)")
	}
	return d, nil
}
