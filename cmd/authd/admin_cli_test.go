package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"authd/adapters/postgres/pgtest"
)

func TestAdminCLI(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	in := startAuthdOn(t, db, nil)
	cli := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		env := map[string]string{"DATABASE_URL": db.URL}
		err := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut)
		return out.String() + errOut.String(), err
	}
	signup := func(email string) (*browser, string) {
		b := in.browser("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
		id := b.do("POST", "/v1/signup", map[string]any{"email": email, "password": lockPassword}).
			want(t, http.StatusCreated).json(t)["user"].(map[string]any)["id"].(string)
		return b, id
	}

	t.Run("SessionsRevokeSignsTheUserOutEverywhere", func(t *testing.T) {
		laptop, id := signup("carol@example.com")
		phone := in.browser("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)")
		phone.tryLogin("carol@example.com", lockPassword).want(t, http.StatusOK)
		other, _ := signup("dave@example.com")

		out, err := cli("sessions", "revoke", "--user", " CAROL@example.com")
		if err != nil || out != "revoked 2 sessions of user "+id+" (carol@example.com)\n" {
			t.Fatalf("sessions revoke = %q, %v", out, err)
		}
		// Another process revoked them: the server's session cache hears it.
		for _, b := range []*browser{laptop, phone} {
			eventually(t, "the revoked session to be refused", func() bool {
				return b.do("GET", "/v1/me", nil).StatusCode == http.StatusUnauthorized
			})
		}
		other.do("GET", "/v1/me", nil).want(t, http.StatusOK)
		if out, err := cli("sessions", "revoke", "--user", id); err != nil || !strings.HasPrefix(out, "revoked 0 sessions") {
			t.Fatalf("second revoke by ID = %q, %v", out, err)
		}
	})

	t.Run("UserDeleteQueuesTheHardDelete", func(t *testing.T) {
		b, id := signup("erin@example.com")
		out, err := cli("user", "delete", id)
		if err != nil || !strings.HasPrefix(out, "queued hard delete of user "+id+" (erin@example.com)") {
			t.Fatalf("user delete = %q, %v", out, err)
		}
		// The serving process's worker carries it out.
		eventually(t, "the account to be deleted", func() bool {
			return in.scalar(t, `SELECT count(*) FROM users WHERE id = $1`, id) == 0
		})
		b.do("GET", "/v1/me", nil).want(t, http.StatusUnauthorized, "unauthenticated")
		if out, err := cli("user", "delete", "erin@example.com"); err == nil || !strings.Contains(err.Error(), `no user "erin@example.com"`) {
			t.Fatalf("deleting again = %q, %v; want no user", out, err)
		}
	})

	t.Run("UnknownUserIsAnErrorNotAUsageError", func(t *testing.T) {
		for _, args := range [][]string{{"user", "delete", "nobody@example.com"},
			{"sessions", "revoke", "--user", "00000000-0000-0000-0000-000000000001"}} {
			_, err := cli(args...)
			var ue *usageError
			var ce *configError
			if err == nil || !strings.HasPrefix(err.Error(), "no user ") || errors.As(err, &ue) || errors.As(err, &ce) {
				t.Fatalf("%v = %v; want a plain error (exit code 1) naming the user", args, err)
			}
		}
	})

	t.Run("BadUsageIsAUsageError", func(t *testing.T) {
		for _, args := range [][]string{{"user"}, {"user", "remove", "a@example.com"}, {"user", "delete"},
			{"user", "delete", "a@example.com", "b@example.com"}, {"sessions"}, {"sessions", "revoke"},
			{"sessions", "revoke", "--user"}, {"sessions", "revoke", "--user", "a@example.com", "extra"},
			{"sessions", "list"}} {
			_, err := cli(args...)
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Errorf("%v = %v, want a usage error (exit code 2)", args, err)
			}
		}
	})
}
