package cli

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

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
		Description: "REF is repository:tag; either side may be a shell-style glob ('team/*:pr-*', 'i*:T?2').\n" +
			"Every REF is resolved before anything is removed. A malformed REF (outside the reference grammar,\n" +
			"'..', absolute, '_' components) is a usage error (exit 2); an unknown repository or tag, or a glob\n" +
			"matching nothing, exits 1. Either way nothing is removed. Removes _manifests/tags/<tag> only,\n" +
			"after recording each tag (digest, push time, history) in the journal: regprune restore puts it back.\n" +
			"Takes the lock (exit 3 when another regprune holds it); --dry-run takes no lock and writes nothing.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "print what would be removed; change nothing"},
			jobsFlag(),
			journalRetentionFlag(),
		},
		Action: func(c *cli.Context) error { return runTagRm(g, c) },
	}
}

func runTagRm(g *globals, c *cli.Context) error {
	refs := c.Args().Slice()
	if len(refs) == 0 {
		return usagef("tag rm: give at least one REF (repository:tag)")
	}
	if err := checkRefs(refs); err != nil {
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
	targets, err := resolveTags(c.Context, e.st, refs, jobs)
	if err != nil {
		return err
	}
	res := tagRmResult{DryRun: c.Bool("dry-run"), Removed: targets}
	if res.DryRun {
		e.stats.DryRun()
	} else if res.Removed, err = removeTags(c.Context, e, targets, jobs, keepFor); err != nil {
		_ = printRemoved(e, res)
		return err
	}
	e.stats.Removed(metrics.Removed{Tags: len(res.Removed)}, 0)
	return printRemoved(e, res)
}

// checkRefs checks every REF's form before the storage is even opened:
// any malformed REF is a usage error naming it.
func checkRefs(refs []string) error {
	var errs []error
	for _, r := range refs {
		if _, _, err := scan.ParseRef(r); err != nil {
			errs = append(errs, fmt.Errorf("REF %q: %w", r, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", storage.ErrUsage, errors.Join(errs...))
	}
	return nil
}

// resolveTags resolves refs against the storage and reads each tag's
// current digest. It reads only the tags of repositories some REF names.
func resolveTags(ctx context.Context, st *storage.Storage, refs []string, jobs int) ([]removedTag, error) {
	all, err := st.Repositories(ctx, jobs)
	if err != nil {
		return nil, err
	}
	var wanted []string
	for _, r := range all {
		for _, ref := range refs {
			if rg, _, err := scan.ParseRef(ref); err == nil && len(scan.MatchRepositories(rg, []string{r})) > 0 {
				wanted = append(wanted, r)
				break
			}
		}
	}
	tags, err := listTags(ctx, st, wanted, jobs)
	if err != nil {
		return nil, err
	}
	for _, r := range all {
		if _, ok := tags[r]; !ok {
			tags[r] = nil
		}
	}
	names, err := scan.ResolveRefs(refs, tags)
	if err != nil {
		return nil, err
	}
	return readDigests(ctx, st, names, jobs)
}

func readDigests(ctx context.Context, st *storage.Storage, names []scan.TagName, jobs int) ([]removedTag, error) {
	out := make([]removedTag, len(names))
	err := eachTag(ctx, st, names, jobs, func(_ context.Context, i int, t storage.Tag) {
		out[i] = removedTag{Repository: t.Repository, Tag: t.Name}
		if t.LinkErr == nil {
			out[i].Digest = t.Digest.String()
		}
	})
	return out, err
}

// removeTags takes the lock, reads each tag again, records them all in
// the journal and removes each tag's directory, at most jobs at a time
// (scan.RemoveTags: a tag pushed again meanwhile is kept, and said). It
// returns the tags actually removed, also on error.
func removeTags(ctx context.Context, e *env, targets []removedTag, jobs int, keepFor time.Duration) ([]removedTag, error) {
	lk, err := e.lock()
	if err != nil {
		return nil, err
	}
	defer lk.Unlock()
	j, err := e.beginJournal(keepFor)
	if err != nil {
		return nil, err
	}
	tags := make([]storage.Tag, len(targets))
	err = storage.Each(ctx, len(targets), jobs, func(ctx context.Context, i int) (err error) {
		tags[i], err = scan.ReadTag(ctx, e.st, targets[i].Repository, targets[i].Tag)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the tags again: %w; nothing was removed", err)
	}
	done, skipped, err := scan.RemoveTags(ctx, e.st, j, tags, jobs)
	var removed []removedTag
	for _, t := range done {
		e.log.Debug("tag rm: removed", "repository", t.Repository, "tag", t.Name, "digest", t.Digest)
		rt := removedTag{Repository: t.Repository, Tag: t.Name}
		if t.LinkErr == nil {
			rt.Digest = t.Digest.String()
		}
		removed = append(removed, rt)
	}
	for _, s := range skipped {
		fmt.Fprintf(e.stderr, "regprune: kept %s: %s\n", s.Tag.Ref(), s.Why)
	}
	if err != nil {
		return removed, fmt.Errorf("removed %d of %d tags: %w", len(removed), len(targets), err)
	}
	return removed, nil
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
