// Command regprune maintains the storage of a CNCF distribution registry
// directly on its volume: it removes tags by name, age, count or policy and
// reclaims space with a mark-and-sweep that never breaks a live image. The
// commands are in internal/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/regprune/regprune/internal/cli"
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "none"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args, os.Stdout, os.Stderr, cli.WithVersion(version, commit))
	stop()
	os.Exit(code)
}
