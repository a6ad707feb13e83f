package cli

import (
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
	name := strings.TrimPrefix(c.Command.FullName(), c.App.Name+" ")
	if name == "" || name == c.App.Name {
		return
	}
	g.stats.mu.Lock()
	g.stats.command = name
	g.stats.mu.Unlock()
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
