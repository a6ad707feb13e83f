package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/regprune/regprune/storage"
	"github.com/urfave/cli/v2"
)

func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "root", Usage: "the registry's root directory `DIR` (the one containing docker/registry/v2)", EnvVars: []string{"REGPRUNE_ROOT"}},
		&cli.StringFlag{Name: "config", Usage: "the registry's configuration `FILE` (config.yml); REGISTRY_* overrides apply as in the registry", EnvVars: []string{"REGPRUNE_CONFIG"}},
		&cli.BoolFlag{Name: "json", Usage: "print one JSON document on stdout", EnvVars: []string{"REGPRUNE_JSON"}},
		&cli.DurationFlag{Name: "lock-timeout", Usage: "wait up to `DUR` for the lock held by another regprune (0: fail at once)", EnvVars: []string{"REGPRUNE_LOCK_TIMEOUT"}},
		&cli.DurationFlag{Name: "lock-stale", Value: storage.DefaultLockStale, Usage: "object storage (S3): a lock object not refreshed for `DUR` was left by a dead run and is taken over", EnvVars: []string{"REGPRUNE_LOCK_STALE"}},
		&cli.BoolFlag{Name: "force-unlock", Usage: "object storage (S3): remove the lock object of another run first (only when that run is known to be dead)", EnvVars: []string{"REGPRUNE_FORCE_UNLOCK"}},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "name every object removed", EnvVars: []string{"REGPRUNE_VERBOSE"}},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress and no informational messages on stderr", EnvVars: []string{"REGPRUNE_QUIET"}},
		&cli.StringFlag{Name: "log-level", Value: "warn", Usage: "log `LEVEL`: debug, info, warn or error", EnvVars: []string{"REGPRUNE_LOG_LEVEL"}},
		&cli.StringFlag{Name: "log-format", Value: "text", Usage: "log `FORMAT`: text or json", EnvVars: []string{"REGPRUNE_LOG_FORMAT"}},
		&cli.StringFlag{Name: "metrics-file", Usage: "at the end of the run, write Prometheus metrics to `PATH` (node_exporter textfile collector; written atomically, also on failure)", EnvVars: []string{"REGPRUNE_METRICS_FILE"}},
	}
}

// env is what every command gets: the opened storage, the output streams
// and the global options.
type env struct {
	st      *storage.Storage
	stdout  io.Writer
	stderr  io.Writer
	json    bool
	verbose bool
	quiet   bool
	log     *slog.Logger
	stats   *runStats // what the run did, for --metrics-file (see cmd_metrics.go)
	c       *cli.Context
}

// open finds and opens the storage and says on stderr, once, which one.
func open(c *cli.Context) (*env, error) {
	e := &env{
		stdout:  c.App.Writer,
		stderr:  c.App.ErrWriter,
		json:    c.Bool("json"),
		verbose: c.Bool("verbose"),
		quiet:   c.Bool("quiet"),
		stats:   statsOf(c),
		c:       c,
	}
	log, err := newLogger(e.stderr, c.String("log-level"), c.String("log-format"))
	if err != nil {
		return nil, err
	}
	e.log = log
	loc, err := storage.Locate(c.String("root"), c.String("config"), os.Getenv, fileExists)
	if err != nil {
		return nil, err
	}
	opts, _ := c.App.Metadata[openKey].([]storage.OpenOption)
	e.st, err = storage.Open(c.Context, loc, opts...)
	if err != nil {
		return nil, err
	}
	if !e.quiet {
		fmt.Fprintf(e.stderr, "regprune: using %s\n", e.st.Describe())
	}
	return e, nil
}

// lock takes the exclusive lock for a changing command: flock on the
// filesystem, the lock object on S3 and other drivers.
func (e *env) lock() (*storage.Lock, error) {
	return e.st.LockWith(e.c.Context, storage.LockOptions{
		Wait:        e.c.Duration("lock-timeout"),
		Stale:       e.c.Duration("lock-stale"),
		ForceUnlock: e.c.Bool("force-unlock"),
		Command:     strings.TrimSpace("regprune " + e.c.Command.FullName() + " " + strings.Join(e.c.Args().Slice(), " ")),
		Warn:        func(msg string) { fmt.Fprintf(e.stderr, "regprune: %s\n", msg) },
	})
}

// printJSON writes v as one indented JSON document on stdout.
func (e *env) printJSON(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// infof prints an informational line on stderr unless --quiet.
func (e *env) infof(format string, args ...any) {
	if !e.quiet {
		fmt.Fprintf(e.stderr, format+"\n", args...)
	}
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("%w: --log-level %q: want debug, info, warn or error", storage.ErrUsage, level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("%w: --log-format %q: want text or json", storage.ErrUsage, format)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// usagef is a usage error (exit status 2).
func usagef(format string, args ...any) error {
	return fmt.Errorf("%w: %s", storage.ErrUsage, fmt.Sprintf(format, args...))
}

// humanAge prints a duration the way people read ages: 3d, 5h, 12m.
func humanAge(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	case d >= time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	case d >= time.Minute:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	default:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
}
