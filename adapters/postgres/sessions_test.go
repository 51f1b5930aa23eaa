package postgres_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"authd/adapters/postgres"
	"authd/adapters/postgres/pgtest"
)

// TestSessionQueriesUseTheirIndexes holds the per-request lookup, the
// new-device check and the hourly prune to index probes on a table big enough that the planner
// would rather scan it than probe it if it could not.
func TestSessionQueriesUseTheirIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t).Pool
	// 5,000 users with 6 sessions each, a third of them revoked.
	_, err := pool.Exec(ctx, `
		INSERT INTO users (id, email, created_at, updated_at)
		SELECT gen_random_uuid(), 'u' || g || '@example.com', now(), now() FROM generate_series(1, 5000) g;
		INSERT INTO device_sessions (id, user_id, token_hash, ip, device_name, auth_method, created_at,
			last_active_at, expires_at, reauthenticated_at, revoked_at)
		SELECT gen_random_uuid(), u.id, sha256(convert_to(u.id::text || g, 'UTF8')),
			('198.51.' || (g % 200) || '.' || (g % 250))::inet, 'Device ' || (g % 7), 'pwd',
			now(), now() - g * interval '1 day', now() + interval '30 days', now(),
			CASE WHEN g % 3 = 0 THEN now() END
		FROM users u, generate_series(1, 6) g;
		ANALYZE users; ANALYZE device_sessions;`)
	if err != nil {
		t.Fatal(err)
	}
	var userID uuid.UUID
	if err := pool.QueryRow(ctx, `SELECT id FROM users LIMIT 1`).Scan(&userID); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		sql   string
		args  []any
		index []string
	}{
		{"PerRequestLookup", postgres.FindByTokenSQL, []any{make([]byte, 32)},
			[]string{"device_sessions_token_hash_key", "users_pkey"}},
		{"NewDeviceCheck", postgres.DeviceSeenSQL,
			[]any{userID, "Device 3", netip.MustParsePrefix("198.51.3.0/24"), time.Now().Add(-90 * 24 * time.Hour)},
			[]string{"device_sessions_device_idx"}},
		{"ExpiredSessionsPrune", postgres.DeleteExpiredSQL, []any{time.Now().Add(-90 * 24 * time.Hour), 1000},
			[]string{"device_sessions_expires_at_idx"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows, err := pool.Query(ctx, "EXPLAIN "+c.sql, c.args...)
			if err != nil {
				t.Fatal(err)
			}
			var plan strings.Builder
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					t.Fatal(err)
				}
				plan.WriteString(line + "\n")
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(plan.String(), "Seq Scan") {
				t.Fatalf("the plan scans a table:\n%s", plan.String())
			}
			for _, idx := range c.index {
				if !strings.Contains(plan.String(), idx) {
					t.Fatalf("the plan does not use %s:\n%s", idx, plan.String())
				}
			}
		})
	}
}
