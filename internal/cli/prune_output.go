package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/regprune/regprune/retention"
)

// prunedTag is one removed tag in prune's JSON output.
type prunedTag struct {
	Repository string    `json:"repository"`
	Tag        string    `json:"tag"`
	Digest     string    `json:"digest"`
	Pushed     time.Time `json:"pushed"`
	Rule       string    `json:"rule"`
	Reason     string    `json:"reason"`
}

// skippedTag is a tag chosen for removal and left in place.
type skippedTag struct {
	prunedTag
	Why string `json:"why"`
}

// repoCount is the per-repository outcome of a prune.
type repoCount struct {
	Repository string   `json:"repository"`
	Kept       int      `json:"kept"`
	Removed    int      `json:"removed"`
	KeptTags   []string `json:"-"`
	GoneTags   []string `json:"-"`
}

// pruneJSON is prune's --json document.
type pruneJSON struct {
	DryRun       bool         `json:"dry_run"`
	RemovedTags  []prunedTag  `json:"removed_tags"`
	KeptTags     []prunedTag  `json:"kept_tags"` // every other tag of the governed repositories, with its reason
	SkippedTags  []skippedTag `json:"skipped_tags"`
	Repositories []repoCount  `json:"repositories"`
	Ungoverned   int          `json:"repositories_no_rule_governs"`
	GC           *gcReport    `json:"gc"`            // null with --no-gc; a dry run's holds the plan (gcjson.go)
	Warnings     []string     `json:"warnings"`      // about the rules: exclusion patterns that keep less than they may seem to
	Use          *useReport   `json:"use,omitempty"` // what the rules by use judged by
}

func toPruned(d retention.Decision) prunedTag {
	return prunedTag{Repository: d.Tag.Repository, Tag: d.Tag.Name, Digest: d.Tag.Digest.String(),
		Pushed: d.Tag.Pushed.UTC(), Rule: d.Rule, Reason: d.Reason}
}

// counts tallies kept and removed tags per governed repository.
func (res *pruneResult) counts() []repoCount {
	gone := make(map[string]bool, len(res.removed))
	for _, d := range res.removed {
		gone[d.Tag.Ref()] = true
	}
	var out []repoCount
	for _, d := range res.decisions {
		if len(out) == 0 || out[len(out)-1].Repository != d.Tag.Repository {
			out = append(out, repoCount{Repository: d.Tag.Repository})
		}
		c := &out[len(out)-1]
		if gone[d.Tag.Ref()] {
			c.Removed++
			c.GoneTags = append(c.GoneTags, d.Tag.Name)
		} else {
			c.Kept++
			c.KeptTags = append(c.KeptTags, d.Tag.Name)
		}
	}
	return out
}

func printPrune(e *env, req pruneRequest, res *pruneResult) error {
	if res == nil {
		return nil
	}
	printUse(e, res.use)
	if e.json {
		return e.printJSON(res.document(req.dryRun))
	}
	w := e.stdout
	if req.dryRun || e.verbose {
		if err := printRemovedTable(w, res.removed, req.dryRun); err != nil {
			return err
		}
		if err := printKeptTable(w, res.kept(), req.dryRun); err != nil {
			return err
		}
	}
	for _, s := range res.skipped {
		fmt.Fprintf(e.stderr, "regprune: kept %s: %s\n", s.Decision.Tag.Ref(), s.Why)
	}
	printCounts(w, res.counts(), e.verbose, req.dryRun)
	removed, kept := 0, 0
	for _, c := range res.counts() {
		removed, kept = removed+c.Removed, kept+c.Kept
	}
	verb := "removed"
	if req.dryRun {
		verb = "would be removed (dry run)"
	}
	fmt.Fprintf(w, "prune: %s %s, %d kept, in %s; %s no rule governs left alone\n",
		plural(removed, "tag"), verb, kept, plural(len(res.counts()), "repository"), plural(res.ungoverned, "repository"))
	if res.gc != nil {
		printGCSummary(w, *res.gc)
	}
	return nil
}

func (res *pruneResult) document(dryRun bool) pruneJSON {
	doc := pruneJSON{DryRun: dryRun, RemovedTags: []prunedTag{}, KeptTags: []prunedTag{}, SkippedTags: []skippedTag{},
		Repositories: res.counts(), Ungoverned: res.ungoverned, Warnings: append([]string{}, res.warnings...), Use: res.use}
	if res.gc != nil {
		r := gcDocument(*res.gc, res.gcPlan, dryRun)
		doc.GC = &r
	}
	for _, d := range res.removed {
		doc.RemovedTags = append(doc.RemovedTags, toPruned(d))
	}
	for _, d := range res.kept() {
		doc.KeptTags = append(doc.KeptTags, toPruned(d))
	}
	for _, s := range res.skipped {
		doc.SkippedTags = append(doc.SkippedTags, skippedTag{prunedTag: toPruned(s.Decision), Why: s.Why})
	}
	if doc.Repositories == nil {
		doc.Repositories = []repoCount{}
	}
	return doc
}

// printRemovedTable lists the removed tags with push time, rule and reason.
func printRemovedTable(w io.Writer, ds []retention.Decision, dryRun bool) error {
	if len(ds) == 0 {
		return nil
	}
	head := "tags removed:"
	if dryRun {
		head = "tags to remove (dry run):"
	}
	fmt.Fprintln(w, head)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPOSITORY\tTAG\tPUSHED\tRULE\tREASON")
	for _, d := range ds {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.Tag.Repository, d.Tag.Name,
			d.Tag.Pushed.UTC().Format(time.RFC3339), d.Rule, d.Reason)
	}
	return tw.Flush()
}

// printCounts prints, per repository, how many tags stay and go; with
// verbose their names too.
func printCounts(w io.Writer, counts []repoCount, verbose, dryRun bool) {
	goes := "removed"
	if dryRun {
		goes = "to remove"
	}
	for _, c := range counts {
		fmt.Fprintf(w, "%s: %d kept, %d %s\n", c.Repository, c.Kept, c.Removed, goes)
		if verbose {
			fmt.Fprintf(w, "  kept: %s\n  %s: %s\n", strings.Join(c.KeptTags, " "), goes, strings.Join(c.GoneTags, " "))
		}
	}
}
