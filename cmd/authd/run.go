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
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"authd/adapters/argon2id"
	"authd/adapters/httpapi"
	"authd/adapters/metrics"
	"authd/adapters/postgres"
	"authd/adapters/riverqueue"
	"authd/adapters/smtpmail"
	"authd/adapters/totp"
	"authd/adapters/uap"
	"authd/core/accounts"
	"authd/core/activity"
	"authd/core/deletion"
	"authd/core/mfa"
	"authd/core/session"
	"authd/core/sso"
	"authd/core/stepup"
	"authd/core/throttle"
	"authd/core/verification"
	"authd/ports"
)

// usageError is a bad command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

const usage = `usage: authd [serve [--no-worker] [--no-migrate] | worker [--no-migrate] | migrate up|down|status | saml add|list|remove | user delete <email|id> | sessions revoke --user <email|id>]`

// systemClock is the real ports.Clock.
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// clockKey carries a ports.Clock into run. Only tests set it, so an
// end-to-end test can move time (idle and absolute session expiry) for the
// whole running program. A context value rather than a package variable,
// because parallel tests each run their own program with their own clock;
// rather than a parameter of run, because main and every other test have no
// business choosing the time. Production cannot set it: the key is
// unexported and main passes a plain signal context.
type clockKey struct{}

// clockFrom returns the clock a test put in ctx, or the system clock.
func clockFrom(ctx context.Context) ports.Clock {
	if c, ok := ctx.Value(clockKey{}).(ports.Clock); ok {
		return c
	}
	return systemClock{}
}

// run is the whole program; main only turns its error into an exit code, so
// tests start authd in-process exactly as it runs in production.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "saml":
		return runSAML(ctx, args, getenv, stdout, stderr)
	case "user":
		return runUser(ctx, args, getenv, stdout, stderr)
	case "sessions":
		return runSessions(ctx, args, getenv, stdout, stderr)
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

	if cmd == "serve" && wantEmbedded(cfg) {
		e, err := startEmbedded(cfg, log)
		if err != nil {
			return err
		}
		defer e.Stop()
		cfg.DatabaseURL = e.URL()
	}
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
	if cfg.EncryptionKey == nil {
		if cfg.EncryptionKey, err = generatedKey(ctx, pool, log); err != nil {
			return err
		}
	}
	if cfg.SAMLKeyPEM == nil {
		if cfg.SAMLKeyPEM, cfg.SAMLCertPEM, err = samlKeyPair(ctx, pool, cfg, log); err != nil {
			return err
		}
	}
	app, err := build(cfg, pool, log, cmd == "worker" || !*noWorker, clockFrom(ctx))
	if err != nil {
		return err
	}
	if err := app.queue.Start(ctx); err != nil {
		return fmt.Errorf("start workers: %w", err)
	}
	defer stopQueue(app.queue, log)
	if cmd == "worker" {
		log.Info("worker started")
		if cfg.WorkerMetricsAddr != "" {
			return serve(ctx, "AUTHD_WORKER_METRICS_ADDR", cfg.WorkerMetricsAddr,
				httpapi.NewMetricsServer(app.metrics, cfg.MetricsToken, log), log)
		}
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
	if app.sessionCache != nil {
		// The API serves sessions from memory only while this listener hears
		// every invalidation; it stops with ctx.
		go app.sessionCache.Listen(ctx, cfg.DatabaseURL, log)
	}
	api := httpapi.NewServer(httpapi.Deps{Accounts: app.accounts, Sessions: app.sessions, MFA: app.mfa,
		StepUp: app.stepUp, Verification: app.verification, SSO: app.sso, Deletion: app.deletion,
		Activity: app.activity, Throttle: app.throttle, Metrics: app.metrics, Ready: ready, Logger: log},
		httpapi.Config{PublicURL: cfg.PublicURL, TrustedProxies: cfg.TrustedProxies, AdminToken: cfg.AdminToken,
			MetricsToken: cfg.MetricsToken})
	app.hasher.ShareCPUWith(func() bool { return api.CheapInFlight() > 0 })
	return serve(ctx, "AUTHD_ADDR", cfg.Addr, api, log)
}

// app is the wired core and the job queue.
type app struct {
	// sessionCache is nil when AUTHD_SESSION_CACHE_SIZE is 0.
	sessionCache *postgres.SessionCache
	accounts     *accounts.Service
	sessions     *session.Service
	mfa          *mfa.Service
	stepUp       *stepup.Service
	// verification is email verification, password reset and email change.
	verification *verification.Service
	// sso is SAML single sign-on and its provider administration.
	sso *sso.Service
	// deletion is account deletion and data export; activity the security
	// events.
	deletion *deletion.Service
	activity *activity.Service
	// throttle is the account lockout and the per-IP limits.
	throttle *throttle.Service
	queue    *riverqueue.Queue
	hasher   *argon2id.Hasher
	// metrics is the registry every part counts on, served at /metrics.
	metrics *prometheus.Registry
}

// build wires the graph: the only place that knows every concrete type.
func build(cfg config, pool *pgxpool.Pool, log *slog.Logger, work bool, clock ports.Clock) (*app, error) {
	db := postgres.New(pool)
	// One registry per run: parallel tests each run a program of their own.
	reg := metrics.NewRegistry()
	reg.MustRegister(metrics.NewPool(pool))
	users := postgres.NewUserStore(db)
	var sessionStore ports.SessionStore = postgres.NewSessionStore(db)
	var cache *postgres.SessionCache
	if cfg.SessionCacheSize > 0 {
		cache = postgres.NewSessionCache(sessionStore, sessionCacheTTL, cfg.SessionCacheSize)
		reg.MustRegister(metrics.NewSessionCache(cache.Stats))
		sessionStore = cache
		db.OnUserChange(cache.InvalidateUser)
	}
	mailer, err := newMailer(cfg, log)
	if err != nil {
		return nil, err
	}
	// composers maps each email kind to the core service that writes it.
	composers := map[ports.EmailKind]riverqueue.Composer{}
	workers := river.NewWorkers()
	river.AddWorker(workers, riverqueue.NewEmailWorker(composers, mailer, log))
	queue, err := riverqueue.New(pool, riverqueue.Config{Logger: log, Work: work, Workers: workers, Metrics: reg,
		PeriodicJobs: riverqueue.MaintenancePeriodic(),
		RetryBase:    cfg.JobRetryBase})
	if err != nil {
		return nil, err
	}
	parser, err := uap.New(10_000)
	if err != nil {
		return nil, err
	}
	// Every capability records its security events through it.
	act := activity.New(activity.Deps{Events: postgres.NewActivityStore(db), UA: parser, Clock: clock, Random: rand.Reader})
	// The brute-force defence: login, the second factor and step-up count
	// attempts through it, a password reset lifts it, the API limits per IP.
	lockoutCfg := cfg.Throttle.Lockout
	lockoutCfg.Limits, lockoutCfg.AppURL = cfg.Throttle.Limits, cfg.AppURL
	guard := throttle.New(throttle.Deps{Store: postgres.NewThrottleStore(db), Users: users, Tx: db, Jobs: queue,
		Clock: clock, Activity: act}, lockoutCfg)
	composers[ports.EmailAccountLocked] = guard.ComposeLockedEmail
	// One hash per core at most: more would only queue inside the CPU and
	// multiply the 19 MiB each holds. The scheduler's preemption keeps cheap
	// requests (session checks) flowing between hashes.
	hasher := argon2id.New(argon2id.Default, runtime.GOMAXPROCS(0))
	sessions := session.New(session.Deps{Sessions: sessionStore, Users: users, Tx: db, Jobs: queue, UA: parser,
		Clock: clock, Random: rand.Reader, Activity: act, Metrics: metrics.NewSessions(reg, postgres.AfterCommit)},
		session.Config{Lifetime: cfg.SessionLifetime, IdleTimeout: cfg.SessionIdle, TouchInterval: time.Minute})
	composers[ports.EmailNewDevice] = sessions.ComposeNewDeviceEmail
	mfaStore := postgres.NewMFAStore(db)
	// Authenticator apps show the issuer beside the account: the host users know.
	issuer := cfg.PublicURL.Hostname()
	if issuer == "" {
		issuer = "authd"
	}
	second := mfa.New(mfa.Deps{Store: mfaStore, Users: users, Sessions: sessions, TOTP: totp.New(issuer),
		Tx: db, Clock: clock, Random: rand.Reader, Activity: act, Lockout: guard}, mfa.Config{EncryptionKey: cfg.EncryptionKey})
	sp, err := newSAMLSP(cfg, clock)
	if err != nil {
		return nil, err
	}
	ssoStore := postgres.NewSSOStore(db)
	singleSignOn := sso.New(sso.Deps{Providers: ssoStore, Identities: ssoStore, State: ssoStore, Users: users, Tx: db,
		Jobs: queue, SP: sp, Sessions: sessions, Elevator: sessions, Clock: clock, Random: rand.Reader},
		sso.Config{EmailAttributes: cfg.SAMLEmailAttributes, AllowedReturnOrigins: cfg.AllowedReturnOrigins,
			StepUpMaxAge: cfg.StepUpMaxAge})
	composers[ports.EmailSSOLinked] = singleSignOn.ComposeLinkedEmail
	up := stepup.New(stepup.Deps{Hasher: hasher, Codes: second, Elevator: sessions, Attempts: mfaStore, Tx: db,
		Clock: clock, SSO: singleSignOn, Activity: act, Lockout: guard}, stepup.Config{MaxAge: cfg.StepUpMaxAge})
	acc := accounts.New(accounts.Deps{Users: users, Tx: db, Hasher: hasher, Jobs: queue, Sessions: sessions,
		Clock: clock, Random: rand.Reader, SecondFactor: second, SSO: singleSignOn, Activity: act, Lockout: guard},
		accounts.RequireVerifiedLogin(cfg.RequireVerifiedLogin))
	verificationStore := postgres.NewVerificationStore(db)
	verif := verification.New(verification.Deps{Users: users, Verifications: verificationStore,
		Requests: verificationStore, Changes: verificationStore, Tx: db, Jobs: queue, Policy: accountPolicy{hasher},
		Sessions: sessions.RevokerFor(ports.RevokedPasswordReset, ports.RevokedPasswordChange), Clock: clock,
		Random: rand.Reader, Activity: act, Lockout: guard},
		verification.Config{AppURL: cfg.AppURL, VerifyTTL: cfg.VerificationTTL, ResetTTL: time.Hour,
			ResetPerIP: cfg.Throttle.ForgotPerIP, ResetPerIPWindow: cfg.Throttle.ForgotWindow})
	composers[ports.EmailVerify] = verif.ComposeVerifyEmail
	composers[ports.EmailPasswordReset] = verif.ComposePasswordReset
	composers[ports.EmailChangeVerify] = verif.ComposeEmailChange
	composers[ports.EmailChangedNotice] = verif.ComposeEmailChanged
	riverqueue.AddMaintenanceWorkers(workers, riverqueue.Maintenance{Verification: verif, Throttle: guard, MFA: second,
		Activity: act, ActivityRetention: cfg.ActivityRetention, Sessions: sessions}, log)
	deletionStore := postgres.NewDeletionStore(db)
	del := deletion.New(deletion.Deps{Store: deletionStore, Data: deletionStore, Users: users,
		Sessions: sessions.RevokerFor(ports.RevokedAll, ports.RevokedDeletion), Tx: db,
		Jobs: queue, Canceller: queue, Activity: act, Clock: clock, Random: rand.Reader},
		deletion.Config{Grace: cfg.DeletionGrace, AppURL: cfg.AppURL})
	composers[ports.EmailDeletionScheduled] = del.ComposeScheduledEmail
	composers[ports.EmailDeletionCancelled] = del.ComposeCancelledEmail
	river.AddWorker(workers, riverqueue.NewHardDeleteWorker(del, log))
	river.AddWorker(workers, riverqueue.NewAccountDeletedEmailWorker(del, mailer, log))
	return &app{metrics: reg, hasher: hasher, sessionCache: cache, accounts: acc, sessions: sessions, mfa: second, stepUp: up, verification: verif, sso: singleSignOn,
		deletion: del, activity: act, throttle: guard, queue: queue}, nil
}

// sessionCacheTTL bounds how stale a cached session's activity time gets
// and how long a session that stopped calling stays in memory; revocations do
// not wait for it, they arrive by notification. At 10 s a busy session costs
// one lookup in ten seconds, and a burst of checks leaves nothing behind for
// the collector to walk a few seconds later.
const sessionCacheTTL = 10 * time.Second

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
func serve(ctx context.Context, addrVar, addr string, h http.Handler, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return &configError{addrVar, err.Error()}
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
