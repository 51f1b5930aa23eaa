// Package migrations embeds authd's goose SQL migrations, River's schema
// included, so the binary carries its whole database history.
package migrations

import "embed"

// FS holds every migration file, named NNNNN_name.sql.
//
//go:embed *.sql
var FS embed.FS
