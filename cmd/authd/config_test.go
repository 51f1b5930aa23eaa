package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestLoadConfigRefusesBadValues(t *testing.T) {
	t.Parallel()
	cases := map[string]map[string]string{
		"DATABASE_URL":               {"DATABASE_URL": "nonsense"},
		"AUTHD_ADDR":                 {"AUTHD_ADDR": ":99999"},
		"AUTHD_PUBLIC_URL":           {"AUTHD_PUBLIC_URL": "localhost:8080"},
		"AUTHD_APP_URL":              {"AUTHD_APP_URL": "ftp://app.example"},
		"AUTHD_MAIL_FROM":            {"AUTHD_MAIL_FROM": "not an address"},
		"AUTHD_ADMIN_TOKEN":          {"AUTHD_ADMIN_TOKEN": "short"},
		"AUTHD_TRUSTED_PROXIES":      {"AUTHD_TRUSTED_PROXIES": "10.0.0.0/8,banana"},
		"AUTHD_SESSION_LIFETIME":     {"AUTHD_SESSION_LIFETIME": "-1h"},
		"AUTHD_SESSION_IDLE_TIMEOUT": {"AUTHD_SESSION_IDLE_TIMEOUT": "soon"},
		"AUTHD_LOG_LEVEL":            {"AUTHD_LOG_LEVEL": "loud"},
		"AUTHD_ACTIVITY_RETENTION":   {"AUTHD_ACTIVITY_RETENTION": "forever"},
		"AUTHD_METRICS_TOKEN":        {"AUTHD_METRICS_TOKEN": "short"},
		"AUTHD_WORKER_METRICS_ADDR":  {"AUTHD_WORKER_METRICS_ADDR": "9090"},
	}
	for name, env := range cases {
		_, err := loadConfig(func(k string) string { return env[k] })
		var ce *configError
		if !errors.As(err, &ce) || ce.name != name {
			t.Errorf("%v: error = %v, want a configError naming %s", env, err, name)
		}
	}
}

func TestLoadConfigDefaults(t *testing.T) {
	t.Parallel()
	c, err := loadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != defaultDatabaseURL || c.Addr != ":8080" || c.PublicURL.String() != "http://localhost:8080" ||
		c.AppURL.String() != c.PublicURL.String() || c.SMTPURL != "" || c.AdminToken != "" {
		t.Fatalf("defaults = %+v", c)
	}
}

// TestMisconfiguredStartExitsTwo runs the real main in a child process: a bad
// setting must end it with exit code 2 and one line naming the variable.
func TestMisconfiguredStartExitsTwo(t *testing.T) {
	t.Parallel()
	for name, env := range map[string]string{"DATABASE_URL": "DATABASE_URL=nonsense", "AUTHD_ADDR": "AUTHD_ADDR=:99999"} {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "AUTHD_RUN_MAIN=1", env)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 {
			t.Fatalf("%s: exit = %v, want 2; output:\n%s", env, err, out)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "authd: "+name+": ") {
			t.Fatalf("%s: output %q, want one line naming %s", env, out, name)
		}
	}
}

// TestMain doubles as the authd binary for TestMisconfiguredStartExitsTwo.
func TestMain(m *testing.M) {
	if os.Getenv("AUTHD_RUN_MAIN") == "1" {
		os.Args = []string{"authd", "serve"}
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestWantEmbedded(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  config
		want bool
	}{
		{"DatabaseURLGiven", config{DatabaseURLSet: true, EmbeddedPostgres: "always"}, false},
		{"Never", config{EmbeddedPostgres: "never"}, false},
		{"Always", config{EmbeddedPostgres: "always"}, true},
	}
	for _, c := range cases {
		if got := wantEmbedded(c.cfg); got != c.want {
			t.Errorf("%s: wantEmbedded = %v, want %v", c.name, got, c.want)
		}
	}
}
