// Command authd is the authentication service: `authd serve` runs the HTTP
// API (and the job workers, unless --no-worker), `authd worker` runs only the
// workers, `authd migrate up|down|status` manages the schema, and `authd saml`,
// `authd user delete` and `authd sessions revoke` are the admin commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, "authd:", err)
	var ce *configError
	var ue *usageError
	if errors.As(err, &ce) || errors.As(err, &ue) {
		os.Exit(2)
	}
	os.Exit(1)
}
