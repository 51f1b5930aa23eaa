package metrics_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"authd/adapters/metrics"
	"authd/adapters/postgres"
	"authd/adapters/postgres/pgtest"
	"authd/core/auth"
	"authd/ports"
)

func TestSessionsCountOnlyWhatCommits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgres.New(pgtest.New(t).Pool)
	reg := prometheus.NewRegistry()
	m := metrics.NewSessions(reg, postgres.AfterCommit)
	created := func(method string) float64 {
		return value(t, reg, "authd_sessions_created_total", "method", method)
	}
	revoked := func(reason ports.RevokeReason) float64 {
		return value(t, reg, "authd_sessions_revoked_total", "reason", string(reason))
	}

	t.Run("NothingUntilTheTransactionCommits", func(t *testing.T) {
		err := db.WithinTx(ctx, func(ctx context.Context) error {
			m.SessionStarted(ctx, []string{auth.MethodPassword, auth.MethodOTP})
			m.SessionsRevoked(ctx, ports.RevokedPasswordReset, 3)
			if created("mfa") != 0 || revoked(ports.RevokedPasswordReset) != 0 {
				t.Error("counted inside the transaction, before the commit")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if created("mfa") != 1 || revoked(ports.RevokedPasswordReset) != 3 {
			t.Fatalf("after commit: mfa %v, password_reset %v; want 1, 3", created("mfa"), revoked(ports.RevokedPasswordReset))
		}
	})
	t.Run("NothingWhenItRollsBack", func(t *testing.T) {
		err := db.WithinTx(ctx, func(ctx context.Context) error {
			m.SessionStarted(ctx, []string{auth.MethodSAML})
			m.SessionsRevoked(ctx, ports.RevokedReplaced, 1)
			return errors.New("later step failed")
		})
		if err == nil {
			t.Fatal("the transaction did not fail")
		}
		if created("saml") != 0 || revoked(ports.RevokedReplaced) != 0 {
			t.Fatal("a rolled-back transaction was counted")
		}
	})
	t.Run("OutsideATransactionAtOnce", func(t *testing.T) {
		m.SessionStarted(ctx, []string{auth.MethodPassword})
		m.SessionsRevoked(ctx, ports.RevokeReason("made_up"), 2)
		if created("password") != 1 || revoked(ports.RevokedAll) != 2 {
			t.Fatalf("password %v, all %v; want 1, 2 (an unknown reason counts as all)", created("password"), revoked(ports.RevokedAll))
		}
	})
	t.Run("EveryLabelIsThereFromTheStart", func(t *testing.T) {
		fresh := prometheus.NewRegistry()
		metrics.NewSessions(fresh, postgres.AfterCommit)
		n, err := testutil.GatherAndCount(fresh, "authd_sessions_created_total", "authd_sessions_revoked_total")
		if err != nil || n != 4+8 {
			t.Fatalf("%d series before any event (%v), want 4 methods + 8 reasons", n, err)
		}
	})
}

func TestPoolReportsThePoolsStatistics(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t).Pool
	if err := pool.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewPool(pool))
	if problems, err := testutil.CollectAndLint(metrics.NewPool(pool)); err != nil || len(problems) != 0 {
		t.Fatalf("lint: %v %v", problems, err)
	}
	stat := pool.Stat()
	want := strings.NewReader(`
# HELP authd_db_pool_max_connections The most connections the pool opens.
# TYPE authd_db_pool_max_connections gauge
authd_db_pool_max_connections ` + strconv.Itoa(int(stat.MaxConns())) + `
`)
	if err := testutil.GatherAndCompare(reg, want, "authd_db_pool_max_connections"); err != nil {
		t.Fatal(err)
	}
	n, err := testutil.GatherAndCount(reg)
	if err != nil || n != 10 {
		t.Fatalf("%d pool metrics (%v), want 10", n, err)
	}
	if value(t, reg, "authd_db_pool_acquires_total", "", "") < 1 {
		t.Fatal("the ping's acquire is not counted")
	}
}

func TestSessionCacheReportsHitsAndMisses(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewSessionCache(func() (int64, int64) { return 7, 2 }))
	want := strings.NewReader(`
# HELP authd_session_cache_hits_total Session lookups answered from memory.
# TYPE authd_session_cache_hits_total counter
authd_session_cache_hits_total 7
# HELP authd_session_cache_misses_total Session lookups that read the database.
# TYPE authd_session_cache_misses_total counter
authd_session_cache_misses_total 2
`)
	if err := testutil.GatherAndCompare(reg, want); err != nil {
		t.Fatal(err)
	}
}

func TestRegistryHasTheRuntimeAndProcessCollectors(t *testing.T) {
	t.Parallel()
	families, err := metrics.NewRegistry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range families {
		seen[f.GetName()] = true
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if !seen[name] {
			t.Errorf("no %s", name)
		}
	}
}

// value is the counter or gauge name{label="v"} in reg; an empty label
// takes the family's only series.
func value(t *testing.T, reg prometheus.Gatherer, name, label, v string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if label == "" || l.GetName() == label && l.GetValue() == v {
					return m.GetCounter().GetValue() + m.GetGauge().GetValue()
				}
			}
			if label == "" {
				return m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no %s{%s=%q}", name, label, v)
	return 0
}
