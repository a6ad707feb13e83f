package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/regprune/regprune/pulls"
	"github.com/regprune/regprune/storage"
	"github.com/urfave/cli/v2"
)

func pullsRecordCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:      "record",
		Usage:     "fold registry logs into the pull history kept with the storage",
		ArgsUsage: "LOG...",
		Description: "LOG is a file of the registry's log (logrus text or JSON, access log, notification events as JSON\n" +
			"lines, with or without kubectl logs --timestamps/--prefix), plain or gzip, or - for stdin:\n" +
			"  kubectl logs deploy/registry --since=2h --timestamps | regprune pulls record -\n" +
			"Every GET or HEAD of a manifest answered 2xx or 304 is a pull; other lines are counted and skipped.\n" +
			"Under the lock, the history (docker/registry/v2/.regprune/" + historyName + ") keeps the last pull of\n" +
			"each tag and digest and the time the logs covered; it is rewritten in one atomic write (one PUT on\n" +
			"S3), without the tags and digests the storage no longer holds. Recording the same log twice changes\n" +
			"nothing. Give rotated files each as its own LOG, so that a gap between them stays a gap.\n" +
			"Reports per LOG on stderr (or --json on stdout). A history that cannot be read is an error (exit 1);\n" +
			"--reset starts a new one from the LOGs.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dry-run", Usage: "read the logs and report; write nothing, take no lock"},
			&cli.BoolFlag{Name: "reset", Usage: "start a new history from these logs, discarding the stored one (also one that cannot be read)"},
			jobsFlag(),
		},
		Action: func(c *cli.Context) error { return runPullsRecord(g, c) },
	}
}

// recordJSON is pulls record's --json document.
type recordJSON struct {
	DryRun  bool          `json:"dry_run"`
	Inputs  []logReport   `json:"inputs"`
	History historyReport `json:"history"`
}

// logReport is what was read of one log.
type logReport struct {
	Name       string           `json:"name"`
	Lines      int64            `json:"lines"`
	Bytes      int64            `json:"bytes"`
	Pulls      int64            `json:"pulls"`
	Skipped    map[string]int64 `json:"skipped"` // by reason, reasons with none left out
	First      time.Time        `json:"first,omitzero"`
	Last       time.Time        `json:"last,omitzero"`
	Covered    []timeRange      `json:"covered"`
	Fragmented bool             `json:"fragmented"`
	Warnings   []string         `json:"warnings"`
}

type timeRange struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// historyReport is the history after recording.
type historyReport struct {
	File         string       `json:"file"`
	Written      bool         `json:"written"` // false in a dry run, or when nothing changed
	Changed      bool         `json:"changed"`
	Reset        bool         `json:"reset"`
	Bytes        int          `json:"bytes"`
	Repositories int          `json:"repositories"`
	Tags         int          `json:"tags"`
	Digests      int          `json:"digests"`
	Coverage     []timeRange  `json:"coverage"`
	Dropped      droppedPulls `json:"dropped"`
	Warnings     []string     `json:"warnings"`
}

// droppedPulls counts what the rewrite dropped for no longer existing.
type droppedPulls struct {
	Repositories int `json:"repositories"`
	Tags         int `json:"tags"`
	Digests      int `json:"digests"`
}

func runPullsRecord(g *globals, c *cli.Context) error {
	names := c.Args().Slice()
	if len(names) == 0 {
		return usagef("pulls record: give at least one LOG (a file, or - for stdin)")
	}
	if err := checkLogNames("pulls record", names); err != nil {
		return err
	}
	e, err := g.open(c)
	if err != nil {
		return err
	}
	ctx, dryRun, reset := c.Context, c.Bool("dry-run"), c.Bool("reset")
	fresh := pulls.New()
	inputs, err := readLogs(ctx, names, g.input(), time.Now(), fresh)
	if err != nil {
		return fmt.Errorf("%w; nothing was recorded", err)
	}
	if !dryRun {
		lk, err := e.lock()
		if err != nil {
			return err
		}
		defer lk.Unlock()
	}
	stored, err := loadHistory(ctx, e.st)
	if err != nil && !(reset && errors.Is(err, storage.ErrBadHistory)) {
		return err
	}
	h := fresh
	if stored.h != nil && !reset {
		h = stored.h
		h.Merge(fresh)
	}
	rep := historyReport{File: historyPath(), Reset: reset}
	if rep.Dropped, rep.Warnings, err = compactHistory(ctx, e.st, h, max(c.Int("jobs"), 1)); err != nil {
		return err
	}
	data, err := encodeHistory(h)
	if err != nil {
		return err
	}
	rep.Changed = !bytes.Equal(data, stored.data)
	if !dryRun && rep.Changed {
		if err := e.st.WriteState(ctx, historyName, data); err != nil {
			return fmt.Errorf("pull history %s: %w", historyPath(), err)
		}
		rep.Written = true
	}
	rep.fill(h, len(data))
	return printRecord(e, recordJSON{DryRun: dryRun, Inputs: logReports(inputs), History: rep})
}

// compactHistory drops from h what the storage no longer holds:
// repositories, tags, and digests that are no revision of their
// repository. A repository whose tags or revisions cannot be listed keeps
// its pulls, with a warning.
func compactHistory(ctx context.Context, st *storage.Storage, h *pulls.History, jobs int) (droppedPulls, []string, error) {
	var d droppedPulls
	all, err := st.Repositories(ctx, jobs)
	if err != nil {
		return d, nil, err
	}
	exists := make(map[string]bool, len(all))
	for _, r := range all {
		exists[r] = true
	}
	var repos []string
	for _, r := range h.Repositories() {
		if exists[r] {
			repos = append(repos, r)
			continue
		}
		tags, digests := pullCounts(h, r)
		d.Repositories, d.Tags, d.Digests = d.Repositories+1, d.Tags+tags, d.Digests+digests
		h.Drop(r)
	}
	tags := make([][]string, len(repos))
	revs := make([][]storage.Digest, len(repos))
	errs := make([]error, len(repos))
	err = storage.Each(ctx, len(repos), jobs, func(ctx context.Context, i int) error {
		if tags[i], errs[i] = st.ListTags(ctx, repos[i]); errs[i] == nil {
			var l storage.Links
			l, errs[i] = st.ListLinks(ctx, storage.RevisionsPath(repos[i]))
			revs[i] = l.Present()
		}
		return ctx.Err()
	})
	if err != nil {
		return d, nil, err
	}
	var warnings []string
	for i, r := range repos {
		if errs[i] != nil {
			warnings = append(warnings, fmt.Sprintf("repository %s: its pulls are kept as they are: %v", r, errs[i]))
			continue
		}
		t0, d0 := pullCounts(h, r)
		h.Prune(r, tags[i], revs[i])
		t1, d1 := pullCounts(h, r)
		d.Tags, d.Digests = d.Tags+t0-t1, d.Digests+d0-d1
	}
	return d, warnings, nil
}

// pullCounts counts the tags and digests of a repository's pulls.
func pullCounts(h *pulls.History, repo string) (tags, digests int) {
	for _, p := range h.Pulls(repo) {
		if p.Tag != "" {
			tags++
		} else {
			digests++
		}
	}
	return tags, digests
}

// fill sets the counts and coverage of h, size bytes encoded.
func (rep *historyReport) fill(h *pulls.History, size int) {
	rep.Bytes = size
	for _, r := range h.Repositories() {
		t, d := pullCounts(h, r)
		rep.Repositories, rep.Tags, rep.Digests = rep.Repositories+1, rep.Tags+t, rep.Digests+d
	}
	rep.Coverage = timeRanges(h.Coverage())
	if rep.Warnings == nil {
		rep.Warnings = []string{}
	}
}

func timeRanges(rs []pulls.Range) []timeRange {
	out := make([]timeRange, len(rs))
	for i, r := range rs {
		out[i] = timeRange{Start: r.Start, End: r.End}
	}
	return out
}

func logReports(inputs []logInput) []logReport {
	out := make([]logReport, len(inputs))
	for i, in := range inputs {
		s := in.Stats
		r := logReport{Name: in.Name, Lines: s.Lines, Bytes: s.Bytes, Pulls: s.Pulls, Skipped: map[string]int64{},
			First: s.First, Last: s.Last, Covered: timeRanges(s.Covered), Fragmented: s.Fragmented, Warnings: logWarnings(in)}
		for _, why := range pulls.Reasons() {
			if n := s.Skipped[why]; n > 0 {
				r.Skipped[why.String()] = n
			}
		}
		if r.Warnings == nil {
			r.Warnings = []string{}
		}
		out[i] = r
	}
	return out
}
