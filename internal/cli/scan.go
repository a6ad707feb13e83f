package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/regprune/regprune/gc"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
	"github.com/urfave/cli/v2"
	"golang.org/x/sync/errgroup"
)

func scanCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:  "scan",
		Usage: "show where the space goes, per repository, and what gc --delete-untagged would free (read-only)",
		Description: "Per repository: tags, manifests, untagged manifests, bytes referenced, bytes shared with other\n" +
			"repositories, bytes only it holds, and what gc --delete-untagged would free because of it alone (computed\n" +
			"by gc's own planner, so the prediction is what gc frees). Then registry-wide totals, orphan blobs and upload\n" +
			"sessions. Sorted by the bytes a repository alone holds. Takes no lock and writes nothing.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "repo", Usage: "show only repositories matching `GLOB` (repeatable; totals stay registry-wide)"},
			&cli.StringFlag{Name: "grace", Value: "1h", Usage: "predict a gc run with this --grace (gc's default)"},
			&cli.IntFlag{Name: "jobs", Value: storage.DefaultJobs, Usage: "parallel storage operations"},
		},
		Action: func(c *cli.Context) error { return runScan(g, c) },
	}
}

// scanReport is scan's --json document.
type scanReport struct {
	*scan.Inventory
	Grace   string    `json:"grace"`
	Scanned time.Time `json:"scanned_at"`
	// GCRefuses says why gc would refuse to run (a manifest it must follow
	// cannot be interpreted): reclaimable bytes are then unknown, not 0.
	GCRefuses string `json:"gc_refuses,omitempty"`
}

func runScan(g *globals, c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("scan takes no arguments (use --repo GLOB)")
	}
	grace, err := retention.ParseDuration(c.String("grace"))
	if err != nil {
		return usagef("--grace: %v", err)
	}
	e, err := g.open(c)
	if err != nil {
		return err
	}
	jobs := c.Int("jobs")
	shown, err := reposByGlob(c.Context, e, c.StringSlice("repo"), jobs)
	if err != nil {
		return err
	}
	now := time.Now()
	rep := scanReport{Grace: retention.FormatAge(grace), Scanned: now.UTC()}
	var freed []scan.Reclaim
	mans := e.manifests() // each manifest read once, by whichever side needs it first
	eg, gctx := errgroup.WithContext(c.Context)
	eg.Go(func() (err error) {
		rep.Inventory, err = scan.Take(gctx, e.st, scan.InventoryOptions{Jobs: jobs, Progress: progressBars(e), Manifests: mans})
		return err
	})
	eg.Go(func() error {
		var err error
		freed, err = gcReclaim(gctx, e, gc.Options{Grace: grace, Jobs: jobs, Now: now, Manifests: mans})
		if errors.Is(err, storage.ErrBadManifest) {
			rep.GCRefuses = err.Error() // gc would stop before deleting anything
			return nil
		}
		return err
	})
	if err := eg.Wait(); err != nil {
		return err
	}
	inv := rep.Inventory
	inv.Attribute(freed)
	if shown != nil {
		keepRepositories(inv, shown)
	}
	if e.json {
		return e.printJSON(rep)
	}
	return printInventory(e.stdout, &rep, grace, now)
}

// keepRepositories drops the rows (and upload sessions) of repositories
// not shown; totals stay registry-wide.
func keepRepositories(inv *scan.Inventory, names []string) {
	keep := make(map[string]bool, len(names))
	for _, n := range names {
		keep[n] = true
	}
	rows := inv.Repositories[:0]
	for _, u := range inv.Repositories {
		if keep[u.Name] {
			rows = append(rows, u)
		}
	}
	inv.Repositories = rows
	ups := inv.Uploads[:0]
	for _, u := range inv.Uploads {
		if keep[u.Repository] {
			ups = append(ups, u)
		}
	}
	inv.Uploads = ups
}

func printInventory(w io.Writer, rep *scanReport, grace time.Duration, now time.Time) error {
	inv := rep.Inventory
	t := inv.Totals
	total := fmt.Sprintf("registry (%d repositories)", t.Repositories)
	width := len(total)
	for _, u := range inv.Repositories {
		width = max(width, len(u.Name))
	}
	// Names left-aligned (padded here), numbers right-aligned.
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\tTAGS\tMANIFESTS\tUNTAGGED\tREFERENCED\tSHARED\tONLY HERE\tGC FREES\t\n", width, "REPOSITORY")
	for _, u := range inv.Repositories {
		fmt.Fprintf(tw, "%-*s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t\n", width, u.Name, u.Tags, u.Manifests, u.Untagged,
			iecBytes(u.Referenced), iecBytes(u.Shared), iecBytes(u.Only), iecBytes(u.Reclaimable))
	}
	fmt.Fprintf(tw, "%-*s\t%d\t%d\t%d\t%s\t\t\t%s\t\n", width, total, t.Tags, t.Manifests, t.Untagged,
		iecBytes(t.Referenced), iecBytes(t.Reclaimable))
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, line := range strings.SplitAfter(table.String(), "\n") {
		io.WriteString(w, strings.TrimPrefix(line, "  ")) // AlignRight pads the first column too
	}
	if rep.GCRefuses != "" {
		fmt.Fprintf(w, "\ngc --delete-untagged would refuse to run (GC FREES is unknown): %s; see regprune check\n", rep.GCRefuses)
	} else {
		fmt.Fprintf(w, "\ngc --delete-untagged --grace %s would free %s: %s held by single repositories, %s shared by several, %s of orphan blobs\n",
			retention.FormatAge(grace), iecBytes(t.Reclaimable), iecBytes(t.ReclaimableOnly), iecBytes(t.ReclaimableShared), iecBytes(t.ReclaimableOrphans))
	}
	fmt.Fprintf(w, "blob store: %d blobs, %s referenced; %d orphan blobs (%s) in no repository's layer links or revisions\n",
		t.Blobs, iecBytes(t.Referenced), t.OrphanBlobs, iecBytes(t.OrphanBytes))
	fmt.Fprintf(w, "upload sessions: %d\n", t.Uploads)
	for _, u := range inv.Uploads {
		fmt.Fprintf(w, "  %s  %s  started %s (%s ago)\n", u.Repository, u.ID, u.Started.UTC().Format(time.RFC3339), humanAge(now.Sub(u.Started)))
	}
	for _, warn := range inv.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	return nil
}

// gcReclaim asks gc's own planner what gc --delete-untagged would remove
// (the same code a real run executes, so the prediction is exact) and
// turns its blobs into scan's attribution input.
func gcReclaim(ctx context.Context, e *env, opts gc.Options) ([]scan.Reclaim, error) {
	opts.DeleteUntagged = true
	opts.UploadsOlderThan = gc.DefaultUploadsOlderThan
	opts.Log = e.log
	plan, err := gc.NewPlan(ctx, e.st, opts)
	if err != nil {
		return nil, err
	}
	out := make([]scan.Reclaim, plan.Counts().Blobs)
	for i, b := range plan.Blobs() {
		out[i] = scan.Reclaim{Size: b.Size, Repositories: b.Repositories}
	}
	return out, nil
}
