package postgres

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// InvalidationChannel is the channel the session triggers notify on.
const InvalidationChannel = "authd_session_invalidation"

// Listen keeps a dedicated connection LISTENing for invalidations and turns
// the cache on only while it does. When the connection is lost the cache is
// turned off and emptied at once (a notification may have been missed), and
// turned back on, empty, once listening again. It returns when ctx ends.
func (c *SessionCache) Listen(ctx context.Context, connString string, log *slog.Logger) {
	go c.sweepEvery(ctx, c.ttl/2)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := c.listenOnce(ctx, connString)
		c.setOn(false)
		if ctx.Err() != nil {
			return
		}
		log.Warn("session cache off: invalidation listener lost; retrying", slog.String("error", err.Error()),
			slog.Duration("retry_in", backoff))
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (c *SessionCache) listenOnce(ctx context.Context, connString string) error {
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+InvalidationChannel); err != nil {
		return err
	}
	c.setOn(true)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		c.apply(n.Payload)
	}
}

// apply handles one payload: "s:<session id>" or "u:<user id>". Anything
// else empties the whole cache, the safe reading of an unknown message.
func (c *SessionCache) apply(payload string) {
	kind, id, _ := strings.Cut(payload, ":")
	parsed, err := uuid.Parse(id)
	switch {
	case err == nil && kind == "s":
		c.InvalidateSession(parsed)
	case err == nil && kind == "u":
		c.InvalidateUser(parsed)
	default:
		c.flush()
	}
}
