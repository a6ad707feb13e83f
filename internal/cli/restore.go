package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/regprune/regprune/internal/metrics"
	"github.com/regprune/regprune/restore"
	"github.com/regprune/regprune/storage"
	"github.com/urfave/cli/v2"
)

func restoreCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:      "restore",
		Usage:     "put removed tags back from the journal (undo tag rm, prune, gc's referrer tags)",
		ArgsUsage: "RUN | REF...",
		Description: "Every changing run records the tags it removes in the journal (docker/registry/v2/.regprune/journal)\n" +
			"before removing them. --list shows the recorded runs. RUN (a run's name, or a unique prefix of it)\n" +
			"puts back every tag that run removed; REF (repository:tag, either side a glob) the last removal of\n" +
			"each matching tag. A tag is put back (current link with its digest and push time, its index/ entries)\n" +
			"only when its manifest's revision link and everything it reaches are still there, checked as check\n" +
			"does; what gc has collected is listed with the reason (gc --keep-removed DUR keeps it restorable).\n" +
			"A tag that exists now (pushed again) is kept unless --force. On object storage (S3) the push time\n" +
			"cannot be set: restored tags look pushed now. Exits 1 when a tag asked for cannot be restored.\n" +
			"Takes the lock and records itself in the journal; --dry-run and --list take no lock and write nothing.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "list", Aliases: []string{"l"}, Usage: "list the recorded runs: time, command, tags, how many are still restorable"},
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "say what would be restored; change nothing"},
			&cli.BoolFlag{Name: "force", Usage: "replace a tag that exists now (pushed again since); it is journaled first"},
			jobsFlag(),
			journalRetentionFlag(),
		},
		Action: func(c *cli.Context) error { return runRestore(g, c) },
	}
}

// restoreRow is one tag of restore's output.
type restoreRow struct {
	Repository string         `json:"repository"`
	Tag        string         `json:"tag"`
	Digest     string         `json:"digest"`
	Pushed     time.Time      `json:"pushed,omitzero"`
	Run        string         `json:"run"`
	Removed    time.Time      `json:"removed"`
	Status     restore.Status `json:"status"`
	Reason     string         `json:"reason,omitempty"`
	TimeKept   bool           `json:"push_time_kept"`
}

// restoreResult is restore's --json document.
type restoreResult struct {
	DryRun bool         `json:"dry_run"`
	Tags   []restoreRow `json:"tags"`
}

func runRestore(g *globals, c *cli.Context) error {
	args := c.Args().Slice()
	if c.Bool("list") {
		if len(args) > 0 || c.Bool("force") {
			return usagef("restore --list takes no RUN, REF or --force")
		}
		return runRestoreList(g, c)
	}
	if len(args) == 0 {
		return usagef("restore: give a RUN (see restore --list) or REFs (repository:tag)")
	}
	if len(args) > 1 && !strings.Contains(args[0], ":") {
		return usagef("restore: give one RUN, or REFs (repository:tag), not both")
	}
	keepFor, err := readJournalRetention(c)
	if err != nil {
		return err
	}
	e, err := g.open(c)
	if err != nil {
		return err
	}
	dry := c.Bool("dry-run")
	opts := restore.Options{Force: c.Bool("force"), Jobs: max(c.Int("jobs"), 1)}
	if !dry {
		lk, err := e.lock()
		if err != nil {
			return err
		}
		defer lk.Unlock()
		if opts.Journal, err = e.beginJournal(keepFor); err != nil {
			return err
		}
	}
	items, err := planRestore(e, args, opts.Jobs)
	if err != nil {
		return err
	}
	if dry {
		e.stats.DryRun()
	} else {
		items, err = restore.Apply(c.Context, e.st, items, opts)
		e.stats.Removed(metrics.Removed{Tags: restore.Counts(items)[restore.Replaced]}, 0)
	}
	if perr := printRestore(e, dry, opts.Force, items); perr != nil && err == nil {
		err = perr
	}
	if err != nil {
		return err
	}
	return unrestored(items, dry, opts.Force)
}

// planRestore reads the journal and plans the tags of RUN or the REFs.
func planRestore(e *env, args []string, jobs int) ([]restore.Item, error) {
	j, err := restore.Load(e.c.Context, e.st)
	if err != nil {
		return nil, err
	}
	var cs []restore.Candidate
	if strings.Contains(args[0], ":") {
		cs, err = j.Refs(args)
	} else {
		cs, err = j.Run(args[0])
	}
	if err != nil {
		return nil, err
	}
	return restore.Plan(e.c.Context, e.st, j, cs, jobs)
}

// unrestored is an error (exit 1) naming how many tags asked for are
// not there afterwards: gone, kept because they exist now, or without a
// digest.
func unrestored(items []restore.Item, dry, force bool) error {
	n := restore.Counts(items)
	bad := n[restore.Gone] + n[restore.NoDigest] + n[restore.Exists]
	if dry && force {
		bad -= n[restore.Exists]
	}
	if bad == 0 {
		return nil
	}
	return fmt.Errorf("restore: %s cannot be restored (listed above with the reason)", plural(bad, "tag"))
}

var restoreVerbs = map[restore.Status]string{
	restore.Restorable: "would restore", restore.Restored: "restored", restore.Replaced: "replaced",
	restore.Present: "present", restore.Exists: "kept", restore.Gone: "gone", restore.NoDigest: "nothing",
}

func printRestore(e *env, dry, force bool, items []restore.Item) error {
	res := restoreResult{DryRun: dry, Tags: []restoreRow{}}
	for _, it := range items {
		res.Tags = append(res.Tags, restoreRow{Repository: it.Tag.Repository, Tag: it.Tag.Tag, Digest: digestText(it.Tag.Digest),
			Pushed: it.Tag.Pushed, Run: it.Run, Removed: it.Removed, Status: it.Status, Reason: it.Reason, TimeKept: it.TimeKept})
	}
	if e.json {
		return e.printJSON(res)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	for _, r := range res.Tags {
		why := r.Reason
		if r.Status == restore.Exists && !force {
			why += " (--force replaces it)"
		}
		if why == "" {
			why = "pushed " + timeText(r.Pushed) + ", removed by run " + r.Run
		}
		fmt.Fprintf(tw, "%s\t%s:%s\t%s\t%s\n", restoreVerbs[r.Status], r.Repository, r.Tag, dashIfEmpty(shortDigest(r.Digest)), why)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	n := restore.Counts(items)
	done := n[restore.Restored] + n[restore.Replaced]
	if dry {
		done = n[restore.Restorable]
		if force {
			done += n[restore.Exists]
		}
	}
	verb := "restored"
	if dry {
		verb = "dry run: would restore"
	}
	fmt.Fprintf(e.stdout, "restore: %s %d of %s; %d already there, %d kept (pushed again), %d gone\n", verb, done,
		plural(len(items), "tag"), n[restore.Present], n[restore.Exists], n[restore.Gone]+n[restore.NoDigest])
	if done > 0 && !e.st.CanKeepTimes() {
		e.infof("regprune: %s storage cannot set a file's time: restored tags look pushed now (age rules count from now)", e.st.Type)
	}
	return nil
}

func digestText(d storage.Digest) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func shortDigest(s string) string {
	if len(s) > 19 {
		return s[:19]
	}
	return s
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return "at an unknown time"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}
