package cli

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
	"github.com/urfave/cli/v2"
)

func tagLsCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:      "ls",
		Usage:     "list tags: repository, tag, digest, kind, push time, age, size, last pull (read-only)",
		ArgsUsage: "[REPO...]",
		Description: "REPO is a repository name or a shell-style glob (* and ? do not cross /). Without REPO, every\n" +
			"repository. A REPO matching no repository is an error (exit 1); a malformed one a usage error (exit 2).\n" +
			"Push time is the modification time of the tag's current link; size counts the manifest and its blobs,\n" +
			"and for an index its children's too, each blob once. When a pull history is recorded (pulls record),\n" +
			"PULLED (--json: pulled, pulled_via) is the tag's last pull: by its name, by its manifest's digest, or\n" +
			"by the digest of a manifest its index reaches. Takes no lock and writes nothing. --removed lists\n" +
			"instead the removed tags the journal holds that restore can put back now.",
		Flags: []cli.Flag{jobsFlag(),
			&cli.BoolFlag{Name: "removed", Usage: "list removed tags restore can put back (from the journal)"}},
		Action: func(c *cli.Context) error { return runTagLs(g, c) },
	}
}

// tagRow is one line of tag ls.
type tagRow struct {
	Repository string    `json:"repository"`
	Tag        string    `json:"tag"`
	Digest     string    `json:"digest"` // empty when the current link is missing or bad
	MediaType  string    `json:"media_type"`
	Kind       string    `json:"kind"`
	Pushed     time.Time `json:"pushed,omitzero"`
	Size       int64     `json:"size"`            // manifests and blobs a pull fetches, each once
	Pulled     time.Time `json:"pulled,omitzero"` // last pull recorded (tag_ls_pulls.go); absent when never or no history
	PulledVia  string    `json:"pulled_via,omitempty"`
	Error      string    `json:"error,omitempty"` // what could not be read
}

func runTagLs(g *globals, c *cli.Context) error {
	for _, p := range c.Args().Slice() {
		if err := storage.CheckRepositoryPattern(p); err != nil {
			return fmt.Errorf("%w: REPO %q: %w", storage.ErrUsage, p, err)
		}
	}
	if c.Bool("removed") {
		return runTagLsRemoved(g, c)
	}
	e, err := g.open(c)
	if err != nil {
		return err
	}
	jobs := max(c.Int("jobs"), 1)
	repos, err := selectRepositories(c.Context, e.st, c.Args().Slice(), jobs, e.warnStray)
	if err != nil {
		return err
	}
	tags, err := listTags(c.Context, e.st, repos, jobs)
	if err != nil {
		return err
	}
	rows, err := tagRows(c.Context, e.st, tags, jobs)
	if err != nil {
		return err
	}
	// A history that cannot be read is reported after the list, never
	// shown as "never pulled".
	stored, herr := loadHistory(c.Context, e.st)
	if herr == nil && stored.h != nil {
		if err := addPulls(c.Context, e.st, rows, stored.h, jobs); err != nil {
			return err
		}
	}
	if e.json {
		err = e.printJSON(rows)
	} else {
		err = printTagRows(e, rows, time.Now(), len(repos), stored.h != nil)
	}
	if err != nil {
		return err
	}
	return herr
}

// selectRepositories lists the repositories matched by patterns (all of
// them without patterns). A pattern matching none is an error naming it.
func selectRepositories(ctx context.Context, st *storage.Storage, patterns []string, jobs int, warn func(storage.Stray)) ([]string, error) {
	cat, err := catalog(ctx, st, jobs)
	if err != nil {
		return nil, err
	}
	if warn != nil {
		for _, s := range cat.Stray {
			warn(s)
		}
	}
	all := cat.Repositories
	if len(patterns) == 0 {
		return all, nil
	}
	hit := make(map[string]bool)
	for _, p := range patterns {
		m := scan.MatchRepositories(p, all)
		if s, ok := strayFor(cat, p); ok && len(m) == 0 {
			return nil, fmt.Errorf("REPO %q: %w", p, strayError(s))
		}
		if len(m) == 0 {
			if storage.IsGlob(p) {
				return nil, fmt.Errorf("REPO %q: %w: no repository matches", p, storage.ErrNoMatch)
			}
			return nil, fmt.Errorf("REPO %q: %w: no such repository", p, storage.ErrNotFound)
		}
		for _, r := range m {
			hit[r] = true
		}
	}
	var out []string
	for _, r := range all {
		if hit[r] {
			out = append(out, r)
		}
	}
	return out, nil
}

// tagRows reads every tag's link, push time and manifests, at most jobs
// tags at a time. A missing or bad link or manifest is shown in its row.
func tagRows(ctx context.Context, st *storage.Storage, tags map[string][]string, jobs int) ([]tagRow, error) {
	var names []scan.TagName
	for _, r := range slices.Sorted(maps.Keys(tags)) {
		for _, t := range tags[r] {
			names = append(names, scan.TagName{Repository: r, Tag: t})
		}
	}
	rows := make([]tagRow, len(names))
	mans := scan.NewManifests(st)
	err := eachTag(ctx, st, names, jobs, func(ctx context.Context, i int, t storage.Tag) {
		rows[i] = tagRowOf(ctx, mans, t)
	})
	return rows, err
}

func tagRowOf(ctx context.Context, mans *scan.Manifests, t storage.Tag) tagRow {
	row := tagRow{Repository: t.Repository, Tag: t.Name, Kind: "-", Pushed: t.Pushed.UTC()}
	if t.LinkErr != nil {
		row.Error = "current link: " + t.LinkErr.Error()
		return row
	}
	row.Digest = t.Digest.String()
	m, _, err := mans.Get(ctx, t.Digest)
	if err != nil {
		row.Error = err.Error()
		return row
	}
	row.MediaType, row.Kind = m.MediaType, string(m.Kind)
	row.Size, err = pullSize(ctx, mans, t.Digest)
	if err != nil {
		row.Error = err.Error()
	}
	return row
}

// pullSize is what a pull of manifest d fetches: the manifest, its blobs
// (sizes from their descriptors), and for an index its children at any
// depth, each digest counted once. On a missing or bad child it still sums
// what it can read and returns the first error.
func pullSize(ctx context.Context, mans *scan.Manifests, d storage.Digest) (int64, error) {
	seen := make(map[storage.Digest]bool)
	var (
		size  int64
		first error
		walk  func(storage.Digest)
	)
	walk = func(d storage.Digest) {
		if seen[d] {
			return
		}
		seen[d] = true
		m, n, err := mans.Get(ctx, d)
		if err != nil {
			if first == nil {
				first = err
			}
			return
		}
		size += n
		for _, b := range m.Blobs {
			if !seen[b.Digest] {
				seen[b.Digest] = true
				size += b.Size
			}
		}
		for _, ch := range m.Children {
			walk(ch.Digest)
		}
	}
	walk(d)
	return size, first
}

func printTagRows(e *env, rows []tagRow, now time.Time, repos int, pulled bool) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	pulledHead := ""
	if pulled {
		pulledHead = "\tPULLED"
	}
	if len(rows) > 0 {
		fmt.Fprintln(tw, "REPOSITORY\tTAG\tDIGEST\tKIND\tPUSHED\tAGE\tSIZE"+pulledHead+"\tNOTE")
	}
	for _, r := range rows {
		digest, pushed, age, size := "-", "-", "-", "-"
		if r.Digest != "" {
			digest = r.Digest[:len("sha256:")+12]
		}
		if !r.Pushed.IsZero() {
			pushed, age = r.Pushed.Format(time.RFC3339), humanAge(now.Sub(r.Pushed))
		}
		if r.Kind != "-" {
			size = iecBytes(r.Size)
		}
		if pulled {
			size += "\t" + pulledText(r, now)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Repository, r.Tag, digest, r.Kind, pushed, age, size, r.Error)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(e.stdout, "%s in %s\n", plural(len(rows), "tag"), plural(repos, "repository"))
	return err
}
