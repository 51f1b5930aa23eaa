package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"authd/adapters/argon2id"
	"authd/adapters/httpapi"
	"authd/adapters/postgres"
	"authd/adapters/riverqueue"
	"authd/adapters/smtpmail"
	"authd/adapters/uap"
	"authd/core/accounts"
	"authd/core/session"
	"authd/ports"
)

// usageError is a bad command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

const usage = `usage: authd [serve [--no-worker] [--no-migrate] | worker [--no-migrate] | migrate up|down|status]`

// systemClock is the real ports.Clock.
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// run is the whole program; main only turns its error into an exit code, so
// tests start authd in-process exactly as it runs in production.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("authd "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	noWorker := fs.Bool("no-worker", false, "serve the API without working jobs in-process")
	noMigrate := fs.Bool("no-migrate", false, "do not apply pending migrations at start")
	switch cmd {
	case "serve", "worker", "migrate":
	default:
		return &usageError{fmt.Sprintf("unknown command %q\n%s", cmd, usage)}
	}
	if err := fs.Parse(args); err != nil {
		return &usageError{usage}
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(stdout, cfg.LogLevel)

	pool, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	migrator, err := postgres.NewMigrator(pool)
	if err != nil {
		return err
	}
	defer migrator.Close()

	if cmd == "migrate" {
		return runMigrate(ctx, migrator, fs.Args(), stdout)
	}
	if !*noMigrate {
		n, err := migrator.Up(ctx)
		if err != nil {
			return err
		}
		log.Info("migrations applied", slog.Int("count", n))
	}
	app, err := build(cfg, pool, log, cmd == "worker" || !*noWorker)
	if err != nil {
		return err
	}
	if err := app.queue.Start(ctx); err != nil {
		return fmt.Errorf("start workers: %w", err)
	}
	defer stopQueue(app.queue, log)
	if cmd == "worker" {
		log.Info("worker started")
		<-ctx.Done()
		return nil
	}
	ready := func(ctx context.Context) error {
		if err := pool.Ping(ctx); err != nil {
			return err
		}
		if pending, err := migrator.Pending(ctx); err != nil || pending {
			return errors.Join(err, errors.New("schema has pending migrations"))
		}
		return nil
	}
	api := httpapi.NewServer(httpapi.Deps{Accounts: app.accounts, Sessions: app.sessions, Ready: ready, Logger: log},
		httpapi.Config{PublicURL: cfg.PublicURL, TrustedProxies: cfg.TrustedProxies})
	return serve(ctx, cfg.Addr, api, log)
}

// app is the wired core and the job queue.
type app struct {
	accounts *accounts.Service
	sessions *session.Service
	queue    *riverqueue.Queue
}

// build wires the graph: the only place that knows every concrete type.
func build(cfg config, pool *pgxpool.Pool, log *slog.Logger, work bool) (*app, error) {
	db := postgres.New(pool)
	users, sessionStore := postgres.NewUserStore(db), postgres.NewSessionStore(db)
	mailer, err := newMailer(cfg, log)
	if err != nil {
		return nil, err
	}
	// composers maps each email kind to the core service that writes it.
	composers := map[ports.EmailKind]riverqueue.Composer{}
	workers := river.NewWorkers()
	river.AddWorker(workers, riverqueue.NewEmailWorker(composers, mailer, log))
	queue, err := riverqueue.New(pool, riverqueue.Config{Logger: log, Work: work, Workers: workers})
	if err != nil {
		return nil, err
	}
	parser, err := uap.New(10_000)
	if err != nil {
		return nil, err
	}
	// Hashing uses every core but one, so cheap requests always find a core.
	hasher := argon2id.New(argon2id.Default, max(1, runtime.GOMAXPROCS(0)-1))
	sessions := session.New(session.Deps{Sessions: sessionStore, UA: parser, Clock: systemClock{}, Random: rand.Reader},
		session.Config{Lifetime: cfg.SessionLifetime, IdleTimeout: cfg.SessionIdle, TouchInterval: time.Minute})
	acc := accounts.New(accounts.Deps{Users: users, Tx: db, Hasher: hasher, Jobs: queue, Sessions: sessions,
		Clock: systemClock{}, Random: rand.Reader})
	return &app{accounts: acc, sessions: sessions, queue: queue}, nil
}

// newMailer sends through AUTHD_SMTP_URL, or to the log when it is unset so
// a developer can follow links without a mail server.
func newMailer(cfg config, log *slog.Logger) (ports.Mailer, error) {
	r, err := smtpmail.NewRenderer("authd")
	if err != nil {
		return nil, err
	}
	if cfg.SMTPURL == "" {
		log.Warn("AUTHD_SMTP_URL is unset: emails are written to the log, not sent")
		return smtpmail.NewLog(log, r), nil
	}
	m, err := smtpmail.NewSMTP(cfg.SMTPURL, cfg.MailFrom, r)
	if err != nil {
		return nil, &configError{"AUTHD_SMTP_URL", err.Error()}
	}
	return m, nil
}

// serve listens first, so a taken or invalid port fails at start, then serves
// until ctx ends and drains in-flight requests.
func serve(ctx context.Context, addr string, h http.Handler, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return &configError{"AUTHD_ADDR", err.Error()}
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 32 << 10,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", slog.String("addr", ln.Addr().String()))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

func stopQueue(q *riverqueue.Queue, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := q.Stop(ctx); err != nil {
		log.Warn("workers did not stop cleanly", slog.String("error", err.Error()))
	}
}

func runMigrate(ctx context.Context, m *postgres.Migrator, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return &usageError{usage}
	}
	switch args[0] {
	case "up":
		n, err := m.Up(ctx)
		if err == nil {
			fmt.Fprintf(stdout, "applied %d migrations\n", n)
		}
		return err
	case "down":
		return m.Down(ctx)
	case "status":
		return m.WriteStatus(ctx, stdout)
	}
	return &usageError{usage}
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
