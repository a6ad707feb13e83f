package main

import (
	"strings"
	"sync"
	"time"

	"github.com/regprune/regprune/internal/metrics"
	"github.com/urfave/cli/v2"
)

// statsKey holds the run's *runStats in the app's Metadata.
const statsKey = "regprune.stats"

// runStats is what a run did, for --metrics-file. Every command reports its
// numbers through env.stats (nil-safe, safe from many goroutines):
//
//	e.stats.Removed(metrics.Removed{Tags: n}, freedBytes)  // what was removed (or would be)
//	e.stats.DryRun()                                       // nothing was changed
//	e.stats.Problems(n)                                    // a verifying command found n problems
//
// The program writes the file once, after the command returned, whatever
// the outcome: a failed run counts as a failure and keeps the previous last
// success time.
type runStats struct {
	mu      sync.Mutex
	file    string // --metrics-file, set once the global flags are parsed
	command string // the command that ran ("prune", "tag rm"); empty: none ran
	run     metrics.Run
}

// Removed adds what the command removed (or, in a dry run, would remove).
func (s *runStats) Removed(r metrics.Removed, freedBytes int64) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.run.Removed.Add(r)
	s.run.FreedBytes += freedBytes
}

// DryRun says the run changed nothing.
func (s *runStats) DryRun() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.run.DryRun = true
}

// Problems records the problems a verifying command found.
func (s *runStats) Problems(n int) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.run.Checked = true
	s.run.Problems += n
}

// statsOf returns the run's stats from the app (nil outside a run).
func statsOf(c *cli.Context) *runStats {
	if c == nil || c.App == nil {
		return nil
	}
	s, _ := c.App.Metadata[statsKey].(*runStats)
	return s
}

// rememberMetricsFile is the app's Before: it runs once the global flags
// are parsed.
func rememberMetricsFile(c *cli.Context) error {
	if s := statsOf(c); s != nil {
		s.mu.Lock()
		s.file = c.String("metrics-file")
		s.mu.Unlock()
	}
	return nil
}

// rememberCommand is the app's ExitErrHandler, which urfave/cli calls with
// the command's context after its action (error or not): it names the
// command for the metrics. Errors are reported by run, not here.
func rememberCommand(c *cli.Context, _ error) {
	s := statsOf(c)
	if s == nil || c.Command == nil || hasSubcommands(c.Command) || c.Command.Hidden {
		return
	}
	name := strings.TrimPrefix(c.Command.FullName(), c.App.Name+" ")
	if name == "" || name == c.App.Name {
		return
	}
	s.mu.Lock()
	s.command = name
	s.mu.Unlock()
}

// recordRun writes the metrics file when --metrics-file was given and a
// command ran.
func recordRun(app *cli.App, start time.Time, code int) error {
	s, _ := app.Metadata[statsKey].(*runStats)
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.file == "" || s.command == "" {
		return nil
	}
	r := s.run
	r.Command, r.Start, r.Duration, r.Failed = s.command, start, time.Since(start), code != exitOK
	return metrics.WriteFile(s.file, r)
}

// hasSubcommands tells a command group (its action shows help) from a
// command; urfave/cli adds a help subcommand to every command.
func hasSubcommands(cmd *cli.Command) bool {
	for _, sub := range cmd.Subcommands {
		if sub.Name != "help" {
			return true
		}
	}
	return false
}
