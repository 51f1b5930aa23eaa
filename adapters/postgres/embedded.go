package postgres

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	embeddedpostgres "github.com/fergusstrange/embedded-postgres"
)

// Embedded is a PostgreSQL server run as a child process, for a first start
// on a machine where none is reachable.
type Embedded struct {
	pg  *embeddedpostgres.EmbeddedPostgres
	url string
	// Installed is true when the machine's own PostgreSQL binaries run it,
	// false when embedded-postgres downloaded a build.
	Installed bool
}

// URL is the connection URL of the embedded server's authd database.
func (e *Embedded) URL() string { return e.url }

// Stop shuts the server down; its data stays for the next start.
func (e *Embedded) Stop() error { return e.pg.Stop() }

// ErrEmbeddedAsRoot explains why PostgreSQL cannot be embedded for root.
var ErrEmbeddedAsRoot = errors.New("postgres: PostgreSQL refuses to run as root; set DATABASE_URL or run authd as another user")

// StartEmbedded runs PostgreSQL on 127.0.0.1:port with its data under dir,
// reusing the data (and the generated password) of earlier starts. It uses
// the installed binaries that pg_config names when there are any.
func StartEmbedded(dir string, port uint32, log io.Writer) (*Embedded, error) {
	if os.Geteuid() == 0 {
		return nil, ErrEmbeddedAsRoot
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("postgres: data folder: %w", err)
	}
	password, err := embeddedPassword(filepath.Join(dir, "postgres-password"))
	if err != nil {
		return nil, err
	}
	runtime := filepath.Join(dir, "pgruntime") // emptied at every start
	cfg := embeddedpostgres.DefaultConfig().
		Port(port).Username("authd").Password(password).Database("authd").
		DataPath(filepath.Join(dir, "pgdata")).
		RuntimePath(runtime).
		// Distribution builds put the socket in a root-owned folder.
		StartParameters(map[string]string{"unix_socket_directories": runtime, "listen_addresses": "127.0.0.1"}).
		CachePath(filepath.Join(dir, "pgcache")).
		StartTimeout(60 * time.Second).
		Logger(log)
	e := &Embedded{}
	if bin, version, ok := installedPostgres(); ok {
		cfg = cfg.BinariesPath(filepath.Dir(bin)).Version(version)
		e.Installed = true
	}
	e.pg = embeddedpostgres.NewDatabase(cfg)
	if err := e.pg.Start(); err != nil {
		return nil, fmt.Errorf("postgres: start embedded server: %w", err)
	}
	e.url = fmt.Sprintf("postgres://authd:%s@127.0.0.1:%d/authd?sslmode=disable", password, port)
	return e, nil
}

// embeddedPassword reads the server's password, or makes one on first start.
func embeddedPassword(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	pw := hex.EncodeToString(b)
	if err := os.WriteFile(path, []byte(pw+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("postgres: save embedded password: %w", err)
	}
	return pw, nil
}

var pgVersion = regexp.MustCompile(`PostgreSQL (\d+)\.(\d+)`)

// installedPostgres finds the machine's server binaries through pg_config:
// their bin folder and a version embedded-postgres accepts for that major.
func installedPostgres() (bindir string, version embeddedpostgres.PostgresVersion, ok bool) {
	out, err := exec.Command("pg_config", "--bindir", "--version").Output()
	if err != nil {
		return "", "", false
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		return "", "", false
	}
	m := pgVersion.FindStringSubmatch(lines[1])
	if m == nil {
		return "", "", false
	}
	if _, err := os.Stat(filepath.Join(lines[0], "pg_ctl")); err != nil {
		return "", "", false // client-only install: no server binaries
	}
	// embedded-postgres compares the data folder's PG_VERSION (the major)
	// with the prefix of this string.
	return lines[0], embeddedpostgres.PostgresVersion(m[1] + "." + m[2] + ".0"), true
}
