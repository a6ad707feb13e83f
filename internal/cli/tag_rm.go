package cli

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/regprune/regprune/internal/metrics"
	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
	"github.com/urfave/cli/v2"
)

// removedTag is one tag tag rm removed (or would remove).
type removedTag struct {
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
	Digest     string `json:"digest"` // empty when the tag had no valid current link
}

// tagRmResult is tag rm's --json document.
type tagRmResult struct {
	DryRun  bool         `json:"dry_run"`
	Removed []removedTag `json:"removed"`
}

func tagRmCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:      "rm",
		Usage:     "remove tags (only the tags: manifests and blobs stay for gc)",
		ArgsUsage: "REF...",
		Description: "REF is [HOST/]REPOSITORY:TAG, as docker and crane print references: a registry host in front\n" +
			"(a first component with '.' or ':', or localhost) is dropped. Either side may be a shell-style glob\n" +
			"('team/*:pr-*', 'i*:T?2'). REPOSITORY@DIGEST removes every tag pointing at that manifest;\n" +
			"REPOSITORY:TAG@DIGEST removes the tag only while it points at DIGEST (race-free scripted removal: a\n" +
			"tag that moved is refused, exit 1, naming both digests). A malformed REF (outside the reference\n" +
			"grammar, '..', absolute, '_' components) is a usage error (exit 2); an unknown repository or tag, or\n" +
			"a glob matching nothing, exits 1. Either way nothing is removed. REFs are resolved once the lock is\n" +
			"held, and each tag is read again just before it goes: what is reported is what was removed, with\n" +
			"the digest removed. Removes _manifests/tags/<tag> only, after recording each tag (digest, push\n" +
			"time, history) in the journal: regprune restore puts it back. Takes the lock (exit 3 when another\n" +
			"regprune holds it); --dry-run takes no lock and writes nothing.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "print what would be removed; change nothing"},
			jobsFlag(),
			journalRetentionFlag(),
		},
		Action: func(c *cli.Context) error { return runTagRm(g, c) },
	}
}

func runTagRm(g *globals, c *cli.Context) error {
	if c.NArg() == 0 {
		return usagef("tag rm: give at least one REF (repository:tag)")
	}
	refs, err := parseTagRefs(c.Args().Slice())
	if err != nil {
		return err
	}
	keepFor, err := readJournalRetention(c)
	if err != nil {
		return err
	}
	e, err := g.open(c)
	if err != nil {
		return err
	}
	jobs := max(c.Int("jobs"), 1)
	res := tagRmResult{DryRun: c.Bool("dry-run")}
	// A REF naming nothing fails here, before the lock file is even
	// created; a real run then resolves the REFs again, for good, under
	// the lock (a tag pushed again while it waited is read as it is now).
	tags, err := resolveTagRefs(c.Context, e.st, refs, jobs)
	if err != nil {
		return err
	}
	if res.DryRun {
		e.stats.DryRun()
		res.Removed = removedTags(tags)
		return printRemoved(e, res)
	}
	lk, err := e.lock()
	if err != nil {
		return err
	}
	defer lk.Unlock()
	j, err := e.beginJournal(keepFor)
	if err != nil {
		return err
	}
	tags, err = resolveTagRefs(c.Context, e.st, refs, jobs)
	if err != nil {
		return err
	}
	removed, err := removeTags(e, j, tags, jobs)
	res.Removed = removedTags(removed)
	e.stats.Removed(metrics.Removed{Tags: len(removed)}, 0)
	if err != nil && len(removed) == 0 {
		return err // nothing changed: no summary
	}
	if perr := printRemoved(e, res); perr != nil && err == nil {
		err = perr
	}
	return err
}

// removeTags records the tags in the run's journal j, then removes them,
// each read again just before it goes (one that changed since it was
// resolved stays, and fails the run). It returns the tags actually
// removed, also on error.
func removeTags(e *env, j *storage.Journal, tags []storage.Tag, jobs int) ([]storage.Tag, error) {
	removed, skipped, err := scan.RemoveTags(e.c.Context, e.st, j, tags, jobs)
	for _, t := range removed {
		e.log.Debug("tag rm: removed", "repository", t.Repository, "tag", t.Name, "digest", t.Digest)
	}
	var errs []error
	for _, s := range skipped {
		errs = append(errs, fmt.Errorf("tag %s left in place: %s", s.Tag.Ref(), s.Why))
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("removed %d of %d tags: %w", len(removed), len(tags), err))
	}
	return removed, errors.Join(errs...)
}

// removedTags are tags as tag rm reports them.
func removedTags(tags []storage.Tag) []removedTag {
	out := make([]removedTag, len(tags))
	for i, t := range tags {
		out[i] = removedTag{Repository: t.Repository, Tag: t.Name}
		if t.LinkErr == nil {
			out[i].Digest = t.Digest.String()
		}
	}
	return out
}

func printRemoved(e *env, res tagRmResult) error {
	if res.Removed == nil {
		res.Removed = []removedTag{}
	}
	if e.json {
		return e.printJSON(res)
	}
	verb := "removed"
	if res.DryRun {
		verb = "would remove"
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	repos := make(map[string]bool)
	for _, t := range res.Removed {
		fmt.Fprintf(tw, "%s\t%s:%s\t%s\n", verb, t.Repository, t.Tag, dashIfEmpty(t.Digest))
		repos[t.Repository] = true
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	sum := fmt.Sprintf("%s %s from %s", verb, plural(len(res.Removed), "tag"), plural(len(repos), "repository"))
	if res.DryRun {
		sum = "dry run: " + sum + "; nothing changed"
	} else {
		sum += "; manifests and blobs stay until gc"
	}
	_, err := fmt.Fprintln(e.stdout, sum)
	return err
}
