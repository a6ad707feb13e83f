// Command regprune maintains the storage of a CNCF distribution registry
// directly on its volume: it removes tags by name, age, count or policy and
// reclaims space with a mark-and-sweep that never breaks a live image.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/regprune/regprune/storage"
	"github.com/urfave/cli/v2"
)

// Exit statuses.
const (
	exitOK     = 0
	exitFail   = 1
	exitUsage  = 2
	exitLocked = 3
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "none"
)

// commands is filled by the cmd_*.go files, one command each.
var commands []*cli.Command

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes regprune with args and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := newApp(stdout, stderr)
	err := app.RunContext(ctx, args)
	if err == nil {
		return exitOK
	}
	code := exitCode(err)
	if !errors.Is(err, errReported) {
		fmt.Fprintf(stderr, "regprune: %v\n", err)
	}
	return code
}

// errReported marks an error whose details the command already printed.
var errReported = errors.New("reported")

func exitCode(err error) int {
	switch {
	case errors.Is(err, storage.ErrUsage):
		return exitUsage
	case errors.Is(err, storage.ErrLocked):
		return exitLocked
	default:
		return exitFail
	}
}

func newApp(stdout, stderr io.Writer) *cli.App {
	cmds := append([]*cli.Command(nil), commands...)
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name < cmds[j].Name })
	return &cli.App{
		Name:    "regprune",
		Usage:   "remove tags and reclaim space in a distribution registry's storage, safely",
		Version: fmt.Sprintf("%s (commit %s)", version, commit),
		Description: "Runs on the registry's storage directly (filesystem root or the registry's config.yml).\n\n" +
			"Exit status: 0 success, 1 failure (or problems found by check), 2 usage error, 3 lock held by another process.",
		Writer:               stdout,
		ErrWriter:            stderr,
		Flags:                globalFlags(),
		Commands:             cmds,
		EnableBashCompletion: true,
		HideHelpCommand:      true,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return fmt.Errorf("%w: %w", storage.ErrUsage, err)
		},
		ExitErrHandler: func(*cli.Context, error) {},
		CommandNotFound: func(c *cli.Context, name string) {
			fmt.Fprintf(stderr, "regprune: unknown command %q\n", name)
		},
	}
}

// urfave/cli gives --version the alias -v, which regprune uses for
// --verbose: two flags named v make every run panic.
func init() {
	cli.VersionFlag = &cli.BoolFlag{Name: "version", Usage: "print the version"}
}
