package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"authd/adapters/postgres"
)

const childEnv = "AUTHD_EMBEDDED_CHILD_DIR"

// TestMain doubles as the unprivileged child of TestEmbeddedStartsWithInstalledBinaries.
func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		if err := exerciseEmbedded(dir); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		fmt.Println("embedded ok")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// exerciseEmbedded starts the server, migrates and writes, stops, then starts
// again on the same folder and reads the row back.
func exerciseEmbedded(dir string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	var log bytes.Buffer
	e, err := postgres.StartEmbedded(dir, port, &log)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, log.String())
	}
	if !e.Installed {
		return errors.New("the installed binaries were not used")
	}
	ctx := context.Background()
	if err := withPool(ctx, e.URL(), func(pool *pgxpool.Pool) error {
		m, err := postgres.NewMigrator(pool)
		if err != nil {
			return err
		}
		defer m.Close()
		if _, err := m.Up(ctx); err != nil {
			return err
		}
		_, err = pool.Exec(ctx, `INSERT INTO users (id, email, created_at, updated_at)
			VALUES (gen_random_uuid(), 'kept@example.com', now(), now())`)
		return err
	}); err != nil {
		e.Stop()
		return err
	}
	if err := e.Stop(); err != nil {
		return err
	}
	again, err := postgres.StartEmbedded(dir, port, &log)
	if err != nil {
		return fmt.Errorf("restart: %w\n%s", err, log.String())
	}
	defer again.Stop()
	return withPool(ctx, again.URL(), func(pool *pgxpool.Pool) error {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM users WHERE email = 'kept@example.com'`).Scan(&n); err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("after restart %d rows, want 1", n)
		}
		return nil
	})
}

func withPool(ctx context.Context, url string, fn func(*pgxpool.Pool) error) error {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	return fn(pool)
}

func freePort() (uint32, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return uint32(ln.Addr().(*net.TCPAddr).Port), nil
}

// TestEmbeddedStartsWithInstalledBinaries runs the embedded server the way a
// newcomer's `authd serve` would, as an unprivileged user: PostgreSQL refuses
// root, so as root the test re-runs itself as nobody.
func TestEmbeddedStartsWithInstalledBinaries(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("pg_config"); err != nil {
		t.Fatal("pg_config not found: install PostgreSQL's server package (apt-get install postgresql)")
	}
	if os.Geteuid() != 0 {
		if err := exerciseEmbedded(filepath.Join(t.TempDir(), "data")); err != nil {
			t.Fatal(err)
		}
		return
	}
	const nobody = 65534
	dir, err := os.MkdirTemp("", "authd-embedded-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "postgres.test")
	if err := copyFile(os.Args[0], bin); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, data} {
		if err := os.Chown(p, nobody, nobody); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(dir, 0o755)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = dir
	cmd.Env = []string{childEnv + "=" + data, "HOME=" + dir, "PATH=" + os.Getenv("PATH")}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "embedded ok") {
		t.Fatalf("child as uid %s: %v\n%s", strconv.Itoa(nobody), err, out)
	}
}

func TestEmbeddedRefusesRoot(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Log("not root: nothing to refuse")
		return
	}
	if _, err := postgres.StartEmbedded(t.TempDir(), 1, io.Discard); !errors.Is(err, postgres.ErrEmbeddedAsRoot) {
		t.Fatalf("error = %v, want ErrEmbeddedAsRoot", err)
	}
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o755)
}
