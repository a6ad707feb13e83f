// Package cli is regprune's command layer: one file and one constructor
// per command, each returning a fresh command with fresh flags; the global
// options every command is built with (globals.go); and one home for what
// they share: opening the storage (globals.go), output (output.go),
// metrics (metrics.go), progress (progress.go) and the generated
// documentation (docgen.go). Run is the whole program: main only wires
// signals and the exit status to it.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"sort"
	"sync"
	"time"

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

// Option adjusts regprune for Run and New.
type Option func(*globals)

// WithVersion sets what --version prints: the version and commit main was
// built with (-ldflags "-X main.version=... -X main.commit=...").
func WithVersion(version, commit string) Option {
	return func(g *globals) { g.version, g.commit = version, commit }
}

// WithStorageOptions passes opts to storage.Open whenever a command opens
// the storage (the end-to-end tests wrap the driver to count and fail its
// calls: storage.WithDriverWrapper).
func WithStorageOptions(opts ...storage.OpenOption) Option {
	return func(g *globals) { g.openOptions = append(g.openOptions, opts...) }
}

// Run runs regprune with args (args[0] is the program's name), printing on
// stdout and stderr, and returns the exit status. With --metrics-file, it
// records the run there whatever the outcome.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, opts ...Option) int {
	start := time.Now()
	g := newGlobals(stdout, stderr, opts)
	g.args = args
	err := g.app().RunContext(ctx, args)
	code := exitOK
	if err != nil {
		code = exitCode(err)
		if !errors.Is(err, errReported) {
			fmt.Fprintf(stderr, "regprune: %v\n", err)
		}
	}
	if merr := g.recordRun(start, code); merr != nil {
		fmt.Fprintf(stderr, "regprune: %v\n", merr)
		if code == exitOK {
			code = exitFail
		}
	}
	return code
}

// New returns the regprune application, every command and flag built
// afresh (urfave/cli writes into the commands and flags it runs): the
// tests that check documents against the real commands read it.
func New(stdout, stderr io.Writer, opts ...Option) *cli.App {
	return newGlobals(stdout, stderr, opts).app()
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

// app builds the application on g: every command and flag is new.
func (g *globals) app() *cli.App {
	setSharedFlags.Do(shareFlags)
	return &cli.App{
		Name:    "regprune",
		Usage:   "remove tags and reclaim space in a distribution registry's storage, safely",
		Version: fmt.Sprintf("%s (commit %s, %s)", g.version, g.commit, runtime.Version()),
		Description: "Runs on the registry's storage directly (filesystem root or the registry's config.yml).\n" +
			"Global options are accepted before or after the command; one given twice takes the value given last.\n\n" +
			"Exit status: 0 success, 1 failure (or problems found by check), 2 usage error, 3 lock held by another process.",
		Writer:               g.stdout,
		ErrWriter:            g.stderr,
		Flags:                globalFlags(),
		Commands:             g.commands(),
		Action:               unknownCommand(cli.ShowAppHelp),
		EnableBashCompletion: true,
		HideHelpCommand:      true,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return fmt.Errorf("%w: %w", storage.ErrUsage, err)
		},
		Before:         g.readOptions,
		ExitErrHandler: g.rememberCommand,
		CommandNotFound: func(c *cli.Context, name string) {
			fmt.Fprintf(g.stderr, "regprune: unknown command %q\n", name)
		},
	}
}

// commands builds every command, sorted by name.
func (g *globals) commands() []*cli.Command {
	cmds := []*cli.Command{
		checkCommand(g),
		completionCommand(),
		docsCommand(g),
		gcCommand(g),
		pruneCommand(g),
		restoreCommand(g),
		pullsCommand(g),
		scanCommand(g),
		tagCommand(g),
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name < cmds[j].Name })
	namedUsageErrors(cmds)
	g.acceptGlobalFlags(cmds)
	return cmds
}

// namedUsageErrors gives every command a usage error naming it (exit
// status 2) instead of urfave/cli's help dump and exit status 1, and no
// `help` subcommand (`regprune X --help` shows help).
func namedUsageErrors(cmds []*cli.Command) {
	for _, cmd := range cmds {
		cmd.HideHelpCommand = true
		if cmd.OnUsageError == nil {
			name := cmd.Name
			cmd.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
				return fmt.Errorf("%w: %s: %w (see --help)", storage.ErrUsage, name, err)
			}
		}
		namedUsageErrors(cmd.Subcommands)
	}
}

// urfave/cli's --help and --version flags are package variables every app
// and command shares. Its --version has the alias -v, which regprune uses
// for --verbose (two flags named v make every run panic), and both would be
// written into by every run: regprune sets them once, each applying a copy.
var setSharedFlags sync.Once

func shareFlags() {
	cli.VersionFlag = sharedBool{&cli.BoolFlag{Name: "version", Usage: "print the version, commit and Go version"}}
	cli.HelpFlag = sharedBool{&cli.BoolFlag{Name: "help", Aliases: []string{"h"}, Usage: "show help"}}
}

// sharedBool is a flag every app and command shares (--help, --version):
// it applies a copy, so that runs never write into the shared one.
type sharedBool struct{ *cli.BoolFlag }

func (f sharedBool) Apply(set *flag.FlagSet) error {
	cp := *f.BoolFlag
	return cp.Apply(set)
}
