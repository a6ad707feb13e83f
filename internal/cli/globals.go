package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
	"github.com/urfave/cli/v2"
)

// globalFlags are the global flags, every one with its REGPRUNE_
// variable; they are accepted after the command too (anyflags.go), and
// readGlobalOptions reads their values.
func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "root", Usage: "the registry's root directory `DIR` (the one containing docker/registry/v2)", EnvVars: []string{"REGPRUNE_ROOT"}},
		&cli.StringFlag{Name: "config", Usage: "the registry's configuration `FILE` (config.yml); REGISTRY_* overrides apply as in the registry", EnvVars: []string{"REGPRUNE_CONFIG"}},
		&cli.BoolFlag{Name: "json", Usage: "print one JSON document on stdout", EnvVars: []string{"REGPRUNE_JSON"}},
		&cli.DurationFlag{Name: "lock-timeout", Usage: "wait up to `DUR` for the lock held by another regprune (0: fail at once)", EnvVars: []string{"REGPRUNE_LOCK_TIMEOUT"}},
		&cli.DurationFlag{Name: "lock-stale", Value: storage.DefaultLockStale, Usage: "object storage (S3): a lock object not refreshed for `DUR` was left by a dead run and is taken over", EnvVars: []string{"REGPRUNE_LOCK_STALE"}},
		&cli.BoolFlag{Name: "force-unlock", Usage: "object storage (S3): remove the lock object of another run first (only when that run is known to be dead)", EnvVars: []string{"REGPRUNE_FORCE_UNLOCK"}},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "name every object removed", EnvVars: []string{"REGPRUNE_VERBOSE"}},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print the result only (tables, summaries, JSON; warnings and errors): no progress, per-stage lines, notes or hints", EnvVars: []string{"REGPRUNE_QUIET"}},
		&cli.StringFlag{Name: "log-level", Value: "warn", Usage: "log `LEVEL`: debug, info, warn or error", EnvVars: []string{"REGPRUNE_LOG_LEVEL"}},
		&cli.StringFlag{Name: "log-format", Value: "text", Usage: "log `FORMAT`: text or json", EnvVars: []string{"REGPRUNE_LOG_FORMAT"}},
		&cli.StringFlag{Name: "metrics-file", Usage: "at the end of the run, write Prometheus metrics to `PATH` (node_exporter textfile collector; written atomically, also on failure)", EnvVars: []string{"REGPRUNE_METRICS_FILE"}},
	}
}

// globals is what every command is built with (restic's global options):
// the global options, the output streams, how to open the storage, and
// what the run did, for --metrics-file.
type globals struct {
	globalOptions
	stdout, stderr  io.Writer
	version, commit string               // for --version
	openOptions     []storage.OpenOption // for storage.Open
	stdin           io.Reader            // what "-" reads; nil: os.Stdin
	stats           runStats
	args            []string // the command line, for the journal
}

func newGlobals(stdout, stderr io.Writer, opts []Option) *globals {
	g := &globals{stdout: stdout, stderr: stderr, version: "dev", commit: "none"}
	for _, o := range opts {
		o(g)
	}
	return g
}

// globalOptions are the values of the global flags.
type globalOptions struct {
	root, config        storage.Flag // Set: given, even empty (storage.LocateFlags)
	json                bool
	lockTimeout         time.Duration
	lockStale           time.Duration
	forceUnlock         bool
	verbose, quiet      bool
	logLevel, logFormat string
	metricsFile         string
}

// readGlobalOptions is the Before of the app and of every command: it
// reads the global flags, wherever they were given (anyflags.go), into g.
// A command that runs (not a group, which may not see the flag given
// last) then refuses an empty path: any flag whose value is a FILE, PATH or
// DIR.
func (g *globals) readGlobalOptions(c *cli.Context) error {
	g.readOptions(c)
	if hasSubcommands(c.Command) {
		return nil
	}
	return emptyPaths(c)
}

// readOptions reads the global flags as c sees them (the app's Before).
func (g *globals) readOptions(c *cli.Context) error {
	v := globalValues{c}
	g.globalOptions = globalOptions{
		root:        storage.Flag{Value: v.lookup("root").String("root"), Set: v.isSet("root")},
		config:      storage.Flag{Value: v.lookup("config").String("config"), Set: v.isSet("config")},
		json:        v.lookup("json").Bool("json"),
		lockTimeout: v.lookup("lock-timeout").Duration("lock-timeout"),
		lockStale:   v.lookup("lock-stale").Duration("lock-stale"),
		forceUnlock: v.lookup("force-unlock").Bool("force-unlock"),
		verbose:     v.lookup("verbose").Bool("verbose"),
		quiet:       v.lookup("quiet").Bool("quiet"),
		logLevel:    v.lookup("log-level").String("log-level"),
		logFormat:   v.lookup("log-format").String("log-format"),
		metricsFile: v.lookup("metrics-file").String("metrics-file"),
	}
	return nil
}

// env is what a command runs with once the storage is open: the globals,
// the storage, the logger and the command's context.
type env struct {
	*globals
	st  *storage.Storage
	log *slog.Logger
	c   *cli.Context
}

// open finds and opens the storage and says on stderr, once, which one.
func (g *globals) open(c *cli.Context) (*env, error) {
	e := &env{globals: g, c: c}
	log, err := newLogger(e.stderr, g.logLevel, g.logFormat)
	if err != nil {
		return nil, err
	}
	e.log = log
	loc, err := storage.LocateFlags(g.root, g.config, os.LookupEnv, fileExists)
	if err != nil {
		return nil, err
	}
	loc.Log = log // the config's translation notes, at debug level
	e.st, err = storage.Open(c.Context, loc, g.openOptions...)
	if err != nil {
		return nil, notFoundHint(loc, err)
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
		Wait:        e.lockTimeout,
		Stale:       e.lockStale,
		ForceUnlock: e.forceUnlock,
		Command:     strings.TrimSpace("regprune " + commandPath(e.c) + " " + strings.Join(e.c.Args().Slice(), " ")),
		Warn:        func(msg string) { fmt.Fprintf(e.stderr, "regprune: %s\n", msg) },
		Waiting:     func(held string) { e.infof("regprune: waiting up to %s for %s", e.lockTimeout, held) },
	})
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

// manifests is a manifest cache over the storage that reads through the
// manifest reference cache (.regprune/manifest-refs), attached before
// anything is read, so that gc, given it as gc.Options.Manifests, knows
// (and a real run saves) every manifest the command read.
func (e *env) manifests() *scan.Manifests {
	mans := scan.NewManifests(e.st)
	refs, why := scan.LoadRefCache(e.c.Context, e.st)
	if why != nil {
		e.log.Debug(why.Error(), "cache", storage.StateFilePath(scan.RefCacheName))
	}
	mans.UseRefCache(refs)
	return mans
}
