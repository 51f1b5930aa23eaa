// Command authbench measures authd against the targets of docs/PERFORMANCE.md:
// it seeds a fresh database, builds and starts authd as in production (API
// and workers, plus a second API process), drives it over loopback, measures
// a baseline in the same run for every figure, and exits 1 when a target is
// missed. Run it from the repository root with PostgreSQL reachable:
//
//	go run ./cmd/authbench
//
// Every load loop is bounded in time and targets only 127.0.0.1.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"time"
)

type options struct {
	admin         string
	duration      time.Duration
	conns         int
	users         int
	sessions      int
	checkSessions int
	emails        int
	deletes       int
	phases        string
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "bare" { // the baseline server, a child of authbench
		if err := serveBare(os.Getenv("AUTHD_ADDR")); err != nil {
			fmt.Fprintln(os.Stderr, "authbench bare:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.StringVar(&o.admin, "admin", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL URL allowed to CREATE DATABASE")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each measured load phase")
	flag.IntVar(&o.conns, "conns", 64, "concurrent connections of the session-check load")
	flag.IntVar(&o.users, "users", 10_000, "users to seed")
	flag.IntVar(&o.sessions, "sessions", 100_000, "sessions to store")
	flag.IntVar(&o.checkSessions, "check-sessions", 10_000, "distinct sessions the check load uses")
	flag.IntVar(&o.emails, "emails", 3_000, "emails the worker benchmark sends")
	flag.IntVar(&o.deletes, "deletes", 2_000, "accounts the hard-delete benchmark removes")
	flag.StringVar(&o.phases, "phases", "check,login,mixed,revocation,emails,deletes", "phases to run, comma-separated")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ok, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "authbench:", err)
		os.Exit(2)
	}
	if !ok {
		fmt.Println("\nRESULT: some targets were missed")
		os.Exit(1)
	}
	fmt.Println("\nRESULT: every target met")
}

// report prints figures and remembers whether every target held.
type report struct{ ok bool }

func (r *report) target(name string, met bool, format string, args ...any) {
	mark := "PASS"
	if !met {
		mark, r.ok = "FAIL", false
	}
	fmt.Printf("  [%s] %-34s %s\n", mark, name, fmt.Sprintf(format, args...))
}

func run(ctx context.Context, o options) (bool, error) {
	fmt.Printf("authbench: %d CPUs (GOMAXPROCS %d), %s, %d users, %d sessions stored, %s phases\n\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), o.users, o.sessions, o.duration)
	dir, err := os.MkdirTemp("", "authbench-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(dir)
	bin, err := buildAuthd(dir)
	if err != nil {
		return false, err
	}
	mail, err := startSink()
	if err != nil {
		return false, err
	}
	defer mail.close()
	fx, err := seed(ctx, o.admin, o.users, o.sessions)
	if err != nil {
		return false, fmt.Errorf("seed: %w", err)
	}
	defer fx.drop()
	// Every request comes from loopback: the per-IP login limit would turn
	// the login benchmark into a measure of 429s.
	env := []string{"DATABASE_URL=" + fx.URL, "AUTHD_SMTP_URL=" + mail.url(), "AUTHD_RATE_LIMIT_LOGIN=off"}
	api, err := startProc(ctx, dir, "authd-serve", bin, env, "serve")
	if err != nil {
		return false, err
	}
	defer api.stop()
	second, err := startProc(ctx, dir, "authd-serve-2", bin, env, "serve", "--no-worker", "--no-migrate")
	if err != nil {
		return false, err
	}
	defer second.stop()
	self, err := os.Executable()
	if err != nil {
		return false, err
	}
	bare, err := startProc(ctx, dir, "bare", self, nil, "bare")
	if err != nil {
		return false, err
	}
	defer bare.stop()

	rep := &report{ok: true}
	b := &bench{o: o, fx: fx, api: api, second: second, bare: bare, mail: mail, rep: rep}
	phases := map[string]func(context.Context) error{"check": b.sessionCheck, "login": b.login, "mixed": b.mixed,
		"revocation": b.revocation, "emails": b.worker, "deletes": b.hardDeletes}
	for _, name := range strings.Split(o.phases, ",") {
		phase, ok := phases[name]
		if !ok {
			return false, fmt.Errorf("unknown phase %q", name)
		}
		b.quiesce(ctx)
		if err := phase(ctx); err != nil {
			return false, err
		}
	}
	return rep.ok, nil
}
