package main

import (
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"authd/adapters/postgres"
)

// defaultPostgresAddr is where DATABASE_URL's default points.
const defaultPostgresAddr = "127.0.0.1:5432"

// wantEmbedded decides whether serve runs its own PostgreSQL: only when no
// DATABASE_URL was given and, in auto mode, nothing answers where the default
// URL points, so a newcomer's first `go run ./cmd/authd` just works.
func wantEmbedded(cfg config) bool {
	if cfg.DatabaseURLSet || cfg.EmbeddedPostgres == "never" {
		return false
	}
	if cfg.EmbeddedPostgres == "always" {
		return true
	}
	conn, err := net.DialTimeout("tcp", defaultPostgresAddr, time.Second)
	if err != nil {
		return true
	}
	conn.Close()
	return false
}

func startEmbedded(cfg config, log *slog.Logger) (*postgres.Embedded, error) {
	dir := filepath.Join(cfg.DataDir, "postgres")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	pgLog, err := os.OpenFile(filepath.Join(dir, "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	log.Info("no PostgreSQL at "+defaultPostgresAddr+" and DATABASE_URL unset: starting an embedded one",
		slog.String("data_dir", dir), slog.Int("port", int(cfg.EmbeddedPort)))
	e, err := postgres.StartEmbedded(dir, cfg.EmbeddedPort, pgLog)
	if err != nil {
		pgLog.Close()
		return nil, err
	}
	log.Info("embedded PostgreSQL started", slog.Bool("installed_binaries", e.Installed),
		slog.String("log", pgLog.Name()))
	return e, nil
}
