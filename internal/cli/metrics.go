package cli

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/regprune/regprune/internal/metrics"
	"github.com/urfave/cli/v2"
)

// runStats is what a run did, for --metrics-file. Every command reports its
// numbers through env.stats (safe from many goroutines):
//
//	e.stats.Removed(metrics.Removed{Tags: n}, freedBytes)  // what was removed (or would be)
//	e.stats.DryRun()                                       // nothing was changed
//	e.stats.Problems(n)                                    // a verifying command found n problems
//
// Run writes the file once, after the command returned, whatever the
// outcome: a failed run counts as a failure and keeps the previous last
// success time.
type runStats struct {
	mu      sync.Mutex
	command string // the command that ran ("prune", "tag rm"); empty: none ran
	run     metrics.Run
}

// Removed adds what the command removed (or, in a dry run, would remove).
func (s *runStats) Removed(r metrics.Removed, freedBytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.run.Removed.Add(r)
	s.run.FreedBytes += freedBytes
}

// DryRun says the run changed nothing.
func (s *runStats) DryRun() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.run.DryRun = true
}

// Problems records the problems a verifying command found.
func (s *runStats) Problems(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.run.Checked = true
	s.run.Problems += n
}

// rememberCommand is the app's ExitErrHandler, which urfave/cli calls with
// the command's context after its action (error or not): it names the
// command for the metrics. Errors are reported by Run, not here.
func (g *globals) rememberCommand(c *cli.Context, _ error) {
	if c.Command == nil || hasSubcommands(c.Command) || c.Command.Hidden {
		return
	}
	name := commandPath(c)
	if name == "" {
		return
	}
	g.stats.mu.Lock()
	g.stats.command = name
	g.stats.mu.Unlock()
}

// commandPath is the full name of the command of c, without the app's:
// "tag rm", "gc"; "" for the app itself. (urfave/cli's FullName is only
// the last word.)
func commandPath(c *cli.Context) string {
	var names []string
	for _, x := range c.Lineage() {
		if x.Command != nil {
			names = append(names, x.Command.Name)
		}
	}
	if len(names) < 2 { // the app's root command only
		return ""
	}
	slices.Reverse(names)
	return strings.Join(names[1:], " ")
}

// recordRun writes the metrics file when --metrics-file was given and a
// command ran.
func (g *globals) recordRun(start time.Time, code int) error {
	s := &g.stats
	s.mu.Lock()
	defer s.mu.Unlock()
	if g.metricsFile == "" || s.command == "" {
		return nil
	}
	r := s.run
	r.Command, r.Start, r.Duration, r.Failed = s.command, start, time.Since(start), code != exitOK
	return metrics.WriteFile(g.metricsFile, r)
}
