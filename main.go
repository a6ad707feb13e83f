// Command regprune maintains the storage of a CNCF distribution registry
// directly on its volume: it removes tags by name, age, count or policy and
// reclaims space with a mark-and-sweep that never breaks a live image.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"reflect"
	"runtime"
	"sort"
	"syscall"
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

// run executes regprune with args and returns the exit status. With
// --metrics-file, it records the run there whatever the outcome.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, opts ...storage.OpenOption) int {
	start := time.Now()
	app := newApp(stdout, stderr)
	app.Metadata[openKey] = opts
	err := app.RunContext(ctx, args)
	code := exitOK
	if err != nil {
		code = exitCode(err)
		if !errors.Is(err, errReported) {
			fmt.Fprintf(stderr, "regprune: %v\n", err)
		}
	}
	if merr := recordRun(app, start, code); merr != nil {
		fmt.Fprintf(stderr, "regprune: %v\n", merr)
		if code == exitOK {
			code = exitFail
		}
	}
	return code
}

// openKey holds, in the app's Metadata, the options of storage.Open.
const openKey = "regprune.open"

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
	cmds := freshCommands(commands)
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name < cmds[j].Name })
	return &cli.App{
		Name:    "regprune",
		Usage:   "remove tags and reclaim space in a distribution registry's storage, safely",
		Version: versionString(),
		Description: "Runs on the registry's storage directly (filesystem root or the registry's config.yml).\n\n" +
			"Exit status: 0 success, 1 failure (or problems found by check), 2 usage error, 3 lock held by another process.",
		Writer:               stdout,
		ErrWriter:            stderr,
		Flags:                globalFlags(),
		Commands:             cmds,
		Action:               unknownCommand(cli.ShowAppHelp),
		EnableBashCompletion: true,
		HideHelpCommand:      true,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return fmt.Errorf("%w: %w", storage.ErrUsage, err)
		},
		Metadata:       map[string]any{statsKey: &runStats{}},
		Before:         rememberMetricsFile,
		ExitErrHandler: rememberCommand,
		CommandNotFound: func(c *cli.Context, name string) {
			fmt.Fprintf(stderr, "regprune: unknown command %q\n", name)
		},
	}
}

// versionString is what --version prints after "regprune version".
func versionString() string {
	return fmt.Sprintf("%s (commit %s, %s)", version, commit, runtime.Version())
}

// freshCommands copies the registered commands for one app. urfave/cli
// writes into commands and flags as it runs (help subcommands, default
// values, values from the environment), so two in-process runs (tests) must
// not share them. Every command also gets a usage error naming it (exit
// status 2) instead of urfave/cli's help dump and exit status 1.
func freshCommands(cmds []*cli.Command) []*cli.Command {
	out := make([]*cli.Command, 0, len(cmds))
	for _, cmd := range cmds {
		cp := *cmd
		cp.Flags = freshFlags(cmd.Flags)
		cp.Subcommands = freshCommands(cmd.Subcommands)
		cp.HideHelpCommand = true // `regprune X --help`; no `help` subcommand
		if cp.OnUsageError == nil {
			name := cmd.Name
			cp.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
				return fmt.Errorf("%w: %s: %w (see --help)", storage.ErrUsage, name, err)
			}
		}
		out = append(out, &cp)
	}
	return out
}

// freshFlags copies each flag (a pointer to a flag struct).
func freshFlags(flags []cli.Flag) []cli.Flag {
	out := make([]cli.Flag, len(flags))
	for i, f := range flags {
		v := reflect.ValueOf(f)
		if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
			out[i] = f
			continue
		}
		cp := reflect.New(v.Elem().Type())
		cp.Elem().Set(v.Elem())
		out[i] = cp.Interface().(cli.Flag)
	}
	return out
}

// sharedBool is a flag every app and command shares (--help, --version):
// it applies a copy, so that runs never write into the shared one.
type sharedBool struct{ *cli.BoolFlag }

func (f sharedBool) Apply(set *flag.FlagSet) error {
	cp := *f.BoolFlag
	return cp.Apply(set)
}

// urfave/cli gives --version the alias -v, which regprune uses for
// --verbose: two flags named v make every run panic.
func init() {
	cli.VersionFlag = sharedBool{&cli.BoolFlag{Name: "version", Usage: "print the version, commit and Go version"}}
	cli.HelpFlag = sharedBool{&cli.BoolFlag{Name: "help", Aliases: []string{"h"}, Usage: "show help"}}
}
