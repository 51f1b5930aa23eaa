package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"authd/adapters/postgres"
	"authd/core/auth"
)

const (
	userUsage     = `usage: authd user delete <email|id>`
	sessionsUsage = `usage: authd sessions revoke --user <email|id>`
)

// runUser is `authd user delete <email|id>`: the admin API's immediate
// deletion for operators at a shell. The hard delete is queued at once; a
// worker (`authd worker`, or `authd serve` with its in-process workers)
// carries it out, as it does for DELETE /v1/admin/users/{id}.
func runUser(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) != 2 || args[0] != "delete" || strings.HasPrefix(args[1], "-") {
		return &usageError{userUsage}
	}
	a, err := openAdmin(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer a.close()
	u, err := a.findUser(ctx, args[1])
	if err != nil {
		return err
	}
	req, err := a.app.deletion.DeleteNow(ctx, u.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "queued hard delete of user %s (%s): a worker deletes the account and everything about it now (job %d)\n",
		u.ID, u.Email, req.JobID)
	return nil
}

// runSessions is `authd sessions revoke --user <email|id>`: it signs the
// user out everywhere, as a password reset does, and says how many sessions
// ended.
func runSessions(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "revoke" {
		return &usageError{sessionsUsage}
	}
	fs := flag.NewFlagSet("authd sessions revoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	who := fs.String("user", "", "the user's email address or ID")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 0 || *who == "" {
		return &usageError{sessionsUsage}
	}
	a, err := openAdmin(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer a.close()
	u, err := a.findUser(ctx, *who)
	if err != nil {
		return err
	}
	n, err := a.app.sessions.RevokeAll(ctx, u.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "revoked %d sessions of user %s (%s)\n", n, u.ID, u.Email)
	return nil
}

// admin is the program wired as serve would wire it, without serving or
// working jobs, for a command that acts once.
type admin struct {
	app   *app
	users *postgres.UserStore
	close func()
}

// openAdmin wires the program for the account commands (see wireForAdmin).
func openAdmin(ctx context.Context, getenv func(string) string, stderr io.Writer) (*admin, error) {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return nil, err
	}
	// The operator reads stdout; only errors go to stderr.
	log := newLogger(stderr, "error")
	a, pool, err := wireForAdmin(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	return &admin{app: a, users: postgres.NewUserStore(postgres.New(pool)), close: pool.Close}, nil
}

// findUser finds the user an operator named by ID or by address (in any
// case). An unknown one is an error of its own (exit code 1), not a usage
// error: the command was right, the account is not there.
func (a *admin) findUser(ctx context.Context, who string) (auth.User, error) {
	who = strings.TrimSpace(who)
	var u auth.User
	var err error
	if id, perr := uuid.Parse(who); perr == nil {
		u, err = a.users.FindUserByID(ctx, id)
	} else {
		u, err = a.users.FindUserByEmail(ctx, who)
	}
	if errors.Is(err, auth.ErrNotFound) {
		return u, fmt.Errorf("no user %q", who)
	}
	return u, err
}

// wireForAdmin wires the program as serve would, without serving or working
// jobs, for the admin commands. The schema must be current: a command that
// changes accounts or providers does not migrate behind the operator's back.
// The caller closes the pool.
func wireForAdmin(ctx context.Context, cfg config, log *slog.Logger) (*app, *pgxpool.Pool, error) {
	pool, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (*app, *pgxpool.Pool, error) {
		pool.Close()
		return nil, nil, err
	}
	migrator, err := postgres.NewMigrator(pool)
	if err != nil {
		return fail(err)
	}
	pending, err := migrator.Pending(ctx)
	migrator.Close()
	if err != nil {
		return fail(err)
	}
	if pending {
		return fail(errors.New("the database schema is not current: run `authd migrate up` first"))
	}
	if cfg.EncryptionKey == nil {
		if cfg.EncryptionKey, err = generatedKey(ctx, pool, log); err != nil {
			return fail(err)
		}
	}
	if cfg.SAMLKeyPEM == nil {
		if cfg.SAMLKeyPEM, cfg.SAMLCertPEM, err = samlKeyPair(ctx, pool, cfg, log); err != nil {
			return fail(err)
		}
	}
	a, err := build(cfg, pool, log, false, systemClock{})
	if err != nil {
		return fail(err)
	}
	return a, pool, nil
}
