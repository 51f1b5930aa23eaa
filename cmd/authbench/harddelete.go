package main

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"authd/ports"
)

// hardDeletes gives fresh users 10 sessions and 20 security events each,
// schedules their hard deletes due now, and times the worker removing them
// all (each delete also queues the "account deleted" email).
func (b *bench) hardDeletes(ctx context.Context) error {
	n := b.o.deletes
	fmt.Printf("\nWorker: %d hard deletes of users with 10 sessions and 20 events each\n", n)
	now := time.Now().UTC()
	ids := make([]uuid.UUID, n)
	var users, sessions, events [][]any
	for i := range n {
		ids[i] = uuid.New()
		users = append(users, []any{ids[i], fmt.Sprintf("delete-me-%06d@example.com", i), now, now})
		for range 10 {
			sessions = append(sessions, []any{uuid.New(), ids[i], randBytes(32), "authbench", "pwd", now, now, now.Add(time.Hour), now})
		}
		for range 20 {
			events = append(events, []any{uuid.New(), ids[i], "login_succeeded", now})
		}
	}
	copies := []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"users", []string{"id", "email", "created_at", "updated_at"}, users},
		{"device_sessions", []string{"id", "user_id", "token_hash", "device_name", "auth_method", "created_at",
			"last_active_at", "expires_at", "reauthenticated_at"}, sessions},
		{"security_events", []string{"id", "user_id", "kind", "created_at"}, events},
	}
	for _, c := range copies {
		if _, err := b.fx.Pool.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
			return fmt.Errorf("seed %s: %w", c.table, err)
		}
	}
	client, err := river.NewClient(riverpgxv5.New(b.fx.Pool), &river.Config{})
	if err != nil {
		return err
	}
	settle(ctx, b, "send_email")
	start := time.Now()
	// One transaction: the jobs and the requests naming them, as
	// POST /v1/account/deletion writes them.
	err = pgx.BeginFunc(ctx, b.fx.Pool, func(tx pgx.Tx) error {
		reqIDs := make([]uuid.UUID, n)
		params := make([]river.InsertManyParams, n)
		for i := range n {
			reqIDs[i] = uuid.New()
			params[i] = river.InsertManyParams{Args: ports.HardDeleteJob{RequestID: reqIDs[i]},
				InsertOpts: &river.InsertOpts{Queue: "maintenance"}}
		}
		res, err := client.InsertManyTx(ctx, tx, params)
		if err != nil {
			return err
		}
		rows := make([][]any, n)
		for i := range n {
			rows[i] = []any{reqIDs[i], ids[i], now, now, res[i].Job.ID}
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"deletion_requests"},
			[]string{"id", "user_id", "requested_at", "execute_at", "job_id"}, pgx.CopyFromRows(rows))
		return err
	})
	if err != nil {
		return fmt.Errorf("schedule deletes: %w", err)
	}
	// Polled cheaply (an index probe of the jobs not yet finalized) so the
	// watching costs PostgreSQL little; the time is the last job's
	// finalized_at, not when the poll noticed.
	kind := ports.HardDeleteJob{}.Kind()
	var pending int
	for time.Since(start) < 2*time.Minute {
		if err := b.fx.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = $1
			AND state IN ('available', 'running', 'retryable', 'scheduled', 'pending')`, kind).Scan(&pending); err != nil {
			return err
		}
		if pending == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	var left int
	var last time.Time
	if err := b.fx.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM users WHERE email LIKE 'delete-me-%'),
		(SELECT max(finalized_at) FROM river_job WHERE kind = $1)`, kind).Scan(&left, &last); err != nil {
		return err
	}
	took := last.Sub(start)
	rate := float64(n-left) / took.Seconds()
	fmt.Printf("  deleted %d in %s\n", n-left, round(took))
	b.rep.target("hard deletes >= 200/s", left == 0 && rate >= 200, "%.0f deletes/s", rate)
	return nil
}
