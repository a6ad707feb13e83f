package cli

import (
	"fmt"
	"io"

	"github.com/regprune/regprune/gc"
	"github.com/regprune/regprune/internal/metrics"
	"github.com/regprune/regprune/internal/progress"
	"github.com/regprune/regprune/storage"
	"github.com/urfave/cli/v2"
)

func gcCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:      "gc",
		Usage:     "reclaim space: remove what no tag reaches (mark per repository, then sweep), never a live image",
		UsageText: "regprune gc [--delete-untagged] [--dry-run] [--grace DUR] [--uploads-older-than DUR] [--keep-orphan-referrers] [--keep-removed DUR] [--jobs N]",
		Description: "Marks, in every repository, what its tags reach (index children at any depth, configs, layers,\n" +
			"referrers of live manifests), then removes untagged revisions (with --delete-untagged), unused layer\n" +
			"links, unreferenced blobs, old upload sessions and empty repositories, in an order that keeps every\n" +
			"live tag pullable if the run is killed. --dry-run prints the same plan, every object, and deletes\n" +
			"nothing; with --json the plan is in the document's \"plan\" (docs/gc.md). Objects younger than --grace\n" +
			"are kept: on a stopped or read-only registry, --grace 0 reclaims them at once.\n" +
			"The referrer tags and manifest revisions it removes are recorded in the journal first (see restore);\n" +
			"--keep-removed DUR keeps what tags removed within DUR reach, so that restore can put them back.",
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "delete-untagged", Usage: "remove manifest revisions no tag reaches, and referrer tags whose subject is gone"},
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "print everything that would be removed; delete nothing"},
		}, sharedGCFlags()...),
		Action: func(c *cli.Context) error { return runGC(g, c) },
	}
}

func runGC(g *globals, c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("gc takes no arguments (got %q)", c.Args().First())
	}
	flags, err := readGCFlags(c)
	if err != nil {
		return err
	}
	e, err := g.open(c)
	if err != nil {
		return err
	}
	dry := c.Bool("dry-run")
	opts := flags.options(c.Bool("delete-untagged"), e.log)
	if !dry {
		lock, err := e.lock()
		if err != nil {
			return err
		}
		defer lock.Unlock()
		if opts.Journal, err = e.beginJournal(flags.JournalRetention); err != nil {
			return fmt.Errorf("gc: %w", err)
		}
	}
	if opts.KeepRemoved, err = e.keptRemoved(flags.KeepRemoved); err != nil {
		return fmt.Errorf("gc: %w", err)
	}
	plan, err := gc.NewPlan(c.Context, e.st, opts)
	if err != nil {
		if c.Context.Err() != nil {
			return fmt.Errorf("gc: %w while reading the storage: nothing was removed (%w)", storage.ErrInterrupted, err)
		}
		return printRefusal(e, fmt.Errorf("gc: %w", err))
	}
	var sum gc.Summary
	if dry {
		sum = plan.Summary(true)
		e.stats.DryRun()
	} else {
		sum, err = executeGC(e, plan, opts)
	}
	e.stats.Removed(metricsOf(sum.Removed), sum.FreedBytes)
	if err != nil && sum.Removed == (gc.Counts{}) {
		return err // nothing changed: no summary
	}
	if perr := printGC(e, plan, sum, dry); perr != nil && err == nil {
		err = perr
	}
	if err == nil {
		err = malformedError(sum)
	}
	graceHint(e, flags, sum)
	if !dry && sum.Removed.Blobs > 0 {
		e.infof("regprune: blobs were removed: a registry running with a blob descriptor cache (storage.cache.blobdescriptor) " +
			"must be restarted (or its redis flushed), or later pushes may skip layers it believes still exist")
	}
	return err
}

// printGC prints gc's outcome: with --json one document (a dry run's
// with the plan, gcjson.go), else a dry run's plan, object by object, and
// the summary.
func printGC(e *env, plan *gc.Plan, sum gc.Summary, dry bool) error {
	if e.json {
		return e.printJSON(gcDocument(sum, plan, dry))
	}
	if dry {
		printPlan(e.stdout, plan)
	}
	printGCSummary(e.stdout, sum)
	return nil
}

// executeGC runs the plan, printing per phase what it removed unless
// --json or --quiet, and every object with -v unless --json.
func executeGC(e *env, plan *gc.Plan, opts gc.Options) (gc.Summary, error) {
	var report func(gc.Phase, int)
	if !e.json && e.verbose {
		opts.Removed = func(ph gc.Phase, name string) { fmt.Fprintf(e.stdout, "removed %s %s\n", phaseNoun[ph], name) }
	}
	if !e.json && !e.quiet {
		report = func(ph gc.Phase, n int) {
			if n > 0 || ph == gc.PhaseBlobs {
				fmt.Fprintf(e.stdout, "gc: %s: removed %d\n", ph, n)
			}
		}
	}
	var bar *progress.Bar
	opts.Removed, bar = sweepBar(e, plan, opts.Removed)
	sum, err := plan.Execute(e.c.Context, e.st, opts, report)
	bar.Done()
	if err != nil {
		err = fmt.Errorf("gc: %w (what was removed until then is in the summary; a re-run completes the job)", err)
	}
	return sum, err
}

var phaseNoun = map[gc.Phase]string{
	gc.PhaseTags: "tag", gc.PhaseManifests: "manifest", gc.PhaseDebris: "debris", gc.PhaseLayerLinks: "layer link", gc.PhaseBlobs: "blob",
	gc.PhaseUploads: "upload", gc.PhaseRepositories: "repository", gc.PhaseDirectories: "directory",
}

// printPlan lists every object a dry run would remove, with repository
// and digest, in the order the real run removes them.
func printPlan(w io.Writer, p *gc.Plan) {
	for _, t := range p.Tags {
		fmt.Fprintf(w, "would remove tag %s:%s (%s, subject gone)\n", t.Repository, t.Tag, t.Digest)
	}
	for _, m := range p.Manifests() {
		fmt.Fprintf(w, "would remove manifest %s@%s\n", m.Repository, m.Digest)
	}
	for _, d := range p.Debris {
		fmt.Fprintf(w, "would remove debris %s (no link)\n", d)
	}
	for _, l := range p.LayerLinks() {
		fmt.Fprintf(w, "would remove layer link %s@%s\n", l.Repository, l.Digest)
	}
	for _, b := range p.Blobs() {
		fmt.Fprintf(w, "would remove blob %s (%s)\n", b.Digest, iecBytes(b.Size))
	}
	for _, u := range p.Uploads {
		fmt.Fprintf(w, "would remove upload %s %s (started %s)\n", u.Repository, u.ID, u.Started.UTC().Format("2006-01-02T15:04:05Z"))
	}
	for _, r := range p.Repositories {
		fmt.Fprintf(w, "would remove repository %s\n", r)
	}
}

// printGCSummary prints gc's outcome in one line, plus its warnings.
func printGCSummary(w io.Writer, s gcSummary) {
	what := "removed"
	if s.DryRun {
		what = "would remove (dry run)"
	}
	r := s.Removed
	fmt.Fprintf(w, "gc: %s %d manifests, %d layer links, %d blobs (%s), %d uploads, %d repositories, %d referrer tags; %d kept within the grace period\n",
		what, r.Manifests, r.LayerLinks, r.Blobs, iecBytes(s.FreedBytes), r.Uploads, r.Repositories, r.Tags, s.KeptRecent)
	if s.KeptRemoved > 0 {
		fmt.Fprintf(w, "gc: kept %s of removed tags for restore (--keep-removed): %s that would otherwise be freed\n",
			plural(s.KeptRemoved, "image"), iecBytes(s.KeptRemovedBytes))
	}
	if r.Debris > 0 {
		fmt.Fprintf(w, "gc: %s %d directories left without their link (debris of deletes by digest)\n", what, r.Debris)
	}
	for _, x := range s.Warnings {
		fmt.Fprintf(w, "gc: warning: %s\n", x)
	}
	for _, x := range s.Malformed {
		fmt.Fprintf(w, "gc: malformed link: %s\n", x)
	}
}

// malformedError is the error of a run that found malformed links (kept,
// and printed with the summary): the command ends non-zero.
func malformedError(s gc.Summary) error {
	if len(s.Malformed) == 0 {
		return nil
	}
	return fmt.Errorf("%w: gc: %d malformed links kept (and what they might reach): see above", errReported, len(s.Malformed))
}

func metricsOf(c gc.Counts) metrics.Removed {
	return metrics.Removed{Tags: c.Tags, Manifests: c.Manifests, Blobs: c.Blobs, LayerLinks: c.LayerLinks,
		Uploads: c.Uploads, Repositories: c.Repositories}
}
