package cli

import (
	"fmt"

	"github.com/regprune/regprune/gc"
	"github.com/regprune/regprune/storage"
)

// gcSummary is gc's outcome as prune reports it.
type gcSummary = gc.Summary

// pruneGC runs gc --delete-untagged after the removals, under the same
// lock. A dry run plans gc as if the chosen tags were already removed, so
// that it predicts what the real run frees.
func pruneGC(e *env, req pruneRequest, res *pruneResult) error {
	ctx := e.c.Context
	opts, err := pruneGCOptions(e, req, res, req.dryRun)
	if err != nil {
		return pruneGCError(req, res, err)
	}
	plan, err := gc.NewPlan(ctx, e.st, opts)
	if err != nil {
		return pruneGCError(req, res, err)
	}
	if req.dryRun {
		s := plan.Summary(true)
		res.gc, res.gcPlan = &s, plan
		return nil
	}
	s, err := plan.Execute(ctx, e.st, opts, nil)
	res.gc = &s
	if err != nil {
		return pruneGCError(req, res, err)
	}
	if s.Removed.Blobs > 0 {
		e.infof("regprune: a registry running with a blob descriptor cache (storage.cache.blobdescriptor) must be " +
			"restarted (or its redis flushed), or later pushes may skip layers it believes still exist")
	}
	return nil
}

// pruneGCOptions are the options of prune's gc. With assumeRemoved, gc
// plans as if the tags prune chose were removed already (a dry run, and
// the check before a real run removes them).
func pruneGCOptions(e *env, req pruneRequest, res *pruneResult, assumeRemoved bool) (gc.Options, error) {
	opts := req.gc.options(true, e.log)
	opts.Manifests = res.manifests // manifests are content-addressed: what prune read stays true
	opts.Journal = req.journal
	var err error
	if opts.KeepRemoved, err = e.keptRemoved(req.gc.KeepRemoved); err != nil {
		return opts, err
	}
	if !assumeRemoved {
		return opts, nil
	}
	gone := make(map[string]bool, len(res.removed))
	for _, d := range res.removed {
		gone[d.Tag.Ref()] = true
		if req.gc.KeepRemoved > 0 && !d.Tag.Digest.IsZero() {
			// The window keeps what this run's removals reach too.
			if opts.KeepRemoved == nil {
				opts.KeepRemoved = map[string][]storage.Digest{}
			}
			opts.KeepRemoved[d.Tag.Repository] = append(opts.KeepRemoved[d.Tag.Repository], d.Tag.Digest)
		}
	}
	opts.IgnoreTag = func(repo, tag string) bool { return gone[repo+":"+tag] }
	return opts, nil
}

// pruneCheckGC runs, before a real prune removes any tag, the plan its
// gc would make (as a dry run does), and returns gc's refusal if it
// refuses, or the error that stopped it (a storage that fails to read):
// then prune removes nothing, rather than tags it cannot collect behind.
// The plan itself is dropped (gc plans again once the tags are gone;
// manifests read here are not read twice).
func pruneCheckGC(e *env, req pruneRequest, res *pruneResult) error {
	if req.dryRun || req.noGC || len(res.removed) == 0 {
		return nil
	}
	opts, err := pruneGCOptions(e, req, res, true)
	if err != nil {
		return fmt.Errorf("gc: %w", err)
	}
	opts.Journal = nil
	_, err = gc.NewPlan(e.c.Context, e.st, opts)
	switch {
	case err != nil && gc.Refusals(err) != nil:
		return fmt.Errorf("prune removed nothing: its gc %w", err)
	case err != nil:
		return fmt.Errorf("prune removed nothing: planning its gc: %w", err)
	}
	return nil
}

// pruneGCError says that the tags stay removed when gc fails after them.
func pruneGCError(req pruneRequest, res *pruneResult, err error) error {
	if req.dryRun || len(res.removed) == 0 {
		return fmt.Errorf("gc: %w", err)
	}
	return fmt.Errorf("gc after removing %d tags (they stay removed; run regprune gc --delete-untagged "+
		"once this is fixed): %w", len(res.removed), err)
}
