package gc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/regprune/regprune/storage"
)

// executor holds the state of one Execute.
type executor struct {
	p        *Plan
	st       *storage.Storage
	opts     Options
	progress func(Phase, int)
	debug    bool // the log takes debug records: one per removed object

	mu      sync.Mutex
	sum     Summary
	skipped map[string]digestSet // revisions kept by the tag re-check, per repository
	// linkGone[i] is set when the sweep removed layer link p.links[i],
	// which a manifest pushed during the run may need back.
	linkGone []bool
}

// Execute deletes what the plan holds, in an order that keeps every live
// tag pullable if the process dies at any moment, and a re-run completes
// the job: (1) orphan referrer tags, then the tag history entries and the
// revisions of untagged manifests; (2) unreferenced layer links; (3)
// unreferenced blobs, after re-reading revisions and layer links so that
// what a push linked meanwhile is kept; (4) old upload sessions; (5)
// empty repositories; (6) blob prefix directories left empty. progress,
// when not nil, is called after each phase with what it removed. When ctx
// is cancelled the run stops at the next object and the error wraps
// storage.ErrInterrupted; the summary says what was removed until then.
func (p *Plan) Execute(ctx context.Context, st *storage.Storage, opts Options, progress func(Phase, int)) (Summary, error) {
	opts = opts.withDefaults()
	x := &executor{p: p, st: st, opts: opts, progress: progress, skipped: map[string]digestSet{}, linkGone: make([]bool, len(p.links)),
		debug: opts.Log.Enabled(ctx, slog.LevelDebug)}
	x.sum = Summary{KeptRecent: p.KeptRecent, KeptRemoved: p.KeptRemoved, KeptRemovedBytes: p.KeptRemovedBytes,
		Warnings: append([]string(nil), p.Warnings...), Malformed: p.malformedLines()}
	if err := x.journal(ctx); err != nil {
		return x.result(), fmt.Errorf("gc journal: %w; nothing was removed", err)
	}
	steps := []struct {
		phase Phase
		run   func(context.Context) (int, error)
	}{
		{PhaseTags, x.removeTags},
		{PhaseManifests, x.removeManifests},
		{PhaseDebris, x.removeDebris},
		{PhaseLayerLinks, x.removeLayerLinks},
		{PhaseBlobs, x.removeBlobs},
		{PhaseUploads, x.removeUploads},
		{PhaseRepositories, x.removeRepositories},
		{PhaseDirectories, x.removeDirectories},
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return x.result(), fmt.Errorf("%w before %s: %w", storage.ErrInterrupted, s.phase, err)
		}
		n, err := s.run(ctx)
		if x.progress != nil {
			x.progress(s.phase, n)
		}
		if err != nil {
			if ctx.Err() != nil {
				err = fmt.Errorf("%w during %s: %w", storage.ErrInterrupted, s.phase, err)
			}
			return x.result(), fmt.Errorf("gc %s: %w", s.phase, err)
		}
	}
	// A last look, for a manifest accepted just before its layer link went
	// whose revision was written after the repair before the blobs.
	if err := x.repairLayerLinks(ctx); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w during the last repair of layer links: %w", storage.ErrInterrupted, err)
		}
		return x.result(), fmt.Errorf("gc: %w", err)
	}
	x.saveRefCache(ctx)
	return x.result(), nil
}

func (x *executor) result() Summary {
	x.mu.Lock()
	defer x.mu.Unlock()
	s := x.sum
	s.Warnings = nonNil(s.Warnings)
	return s
}

func (x *executor) warnf(format string, args ...any) {
	w := fmt.Sprintf(format, args...)
	x.opts.Log.Warn("gc: " + w)
	x.mu.Lock()
	x.sum.Warnings = append(x.sum.Warnings, w)
	x.mu.Unlock()
}

// each deletes n objects in parallel: del(i) deletes object i and returns
// its name, or "" when it was not to be deleted after all. It returns how
// many were deleted; count is called for each.
func (x *executor) each(ctx context.Context, phase Phase, n int, del func(context.Context, int) (string, error), count func(int)) (int, error) {
	var done atomic.Int64
	err := storage.Each(ctx, n, x.opts.Jobs, func(ctx context.Context, i int) error {
		name, err := del(ctx, i)
		if err != nil || name == "" {
			return err
		}
		done.Add(1)
		x.removed(phase, func() string { return name }, func() { count(i) })
		return nil
	})
	return int(done.Load()), err
}

// sweep deletes the leaves of objects idx in bulk (storage.DeleteLeaves):
// leaf(i) is object i's leaf, name(i) its name in logs (nil: not logged).
// It returns how many were deleted; count is called for each.
func (x *executor) sweep(ctx context.Context, phase Phase, idx []int, leaf func(int) storage.Leaf, name func(int) string, count func(int)) (int, error) {
	var done atomic.Int64
	err := x.st.DeleteLeaves(ctx, len(idx), x.opts.Jobs, func(k int) storage.Leaf { return leaf(idx[k]) }, func(k int) {
		done.Add(1)
		var named func() string
		if name != nil {
			named = func() string { return name(idx[k]) }
		}
		x.removed(phase, named, func() { count(idx[k]) })
	})
	return int(done.Load()), err
}

// removed records one removed object: count under the lock, and its name
// (built only when someone listens) to the debug log and opts.Removed.
func (x *executor) removed(phase Phase, name func() string, count func()) {
	var n string
	if name != nil && (x.debug || x.opts.Removed != nil) {
		n = name()
	}
	if x.debug && n != "" {
		x.opts.Log.Debug("gc: removed", "phase", phase, "object", n) // repository@digest, repository:tag, blob digest
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	count()
	if x.opts.Removed != nil && n != "" {
		x.opts.Removed(phase, n)
	}
}

// unless lists the indexes i in [0, n) for which skip(i) is false.
func unless(n int, skip func(int) bool) []int {
	idx := make([]int, 0, n)
	for i := range n {
		if !skip(i) {
			idx = append(idx, i)
		}
	}
	return idx
}

// removeTags removes orphan referrer tags (whole tag directories) before
// the revisions they point to, so that no tag ever names a missing
// revision. A tag re-pushed since the plan is kept.
func (x *executor) removeTags(ctx context.Context) (int, error) {
	if err := x.recheckTags(ctx); err != nil {
		return 0, err
	}
	ts := x.p.Tags
	return x.each(ctx, PhaseTags, len(ts), func(ctx context.Context, i int) (string, error) {
		t := ts[i]
		d, err := x.st.ReadLink(ctx, storage.TagCurrentLinkPath(t.Repository, t.Tag))
		if err == nil && d != t.Digest {
			x.warnf("repository %s: tag %s now names %s; kept", t.Repository, t.Tag, d)
			return "", nil
		}
		if errors.Is(err, storage.ErrBadLink) {
			x.warnf("repository %s: tag %s: current link broken since the plan (%v); kept", t.Repository, t.Tag, err)
			return "", nil
		}
		if err != nil && !isNotFound(err) {
			// Not knowing what the tag names now, do not remove it.
			return "", fmt.Errorf("re-reading tag %s:%s: %w", t.Repository, t.Tag, err)
		}
		return t.Repository + ":" + t.Tag, x.opts.Journal.DeleteTag(ctx, t.Repository, t.Tag)
	}, func(int) { x.sum.Removed.Tags++ })
}

// removeManifests removes the history entries of untagged revisions, then
// the revisions, indexes before the children they list: a kill in between
// leaves an untagged revision that a re-run removes, never a history
// entry without its revision nor an index without its children.
func (x *executor) removeManifests(ctx context.Context) (int, error) {
	hs := x.p.History
	idx := unless(len(hs), func(i int) bool { return x.isSkipped(hs[i].Repository, hs[i].Digest) })
	_, err := x.sweep(ctx, PhaseManifests, idx, func(i int) storage.Leaf {
		return storage.TagIndexLeaf(hs[i].Repository, hs[i].Tag, hs[i].Digest)
	}, nil, func(int) {})
	if err != nil {
		return 0, err
	}
	x.mu.Lock()
	x.sum.Removed.TagHistory = len(hs) - x.skippedHistory()
	x.mu.Unlock()
	p := x.p
	removed := 0
	for depth := range p.maxDepth() + 1 {
		idx = unless(len(p.revs), func(i int) bool {
			m := p.revs[i]
			return int(m.depth) != depth || x.isSkipped(p.repos[m.repo], p.digest(m.ref))
		})
		n, err := x.sweep(ctx, PhaseManifests, idx, func(i int) storage.Leaf {
			m := p.revs[i]
			return storage.RevisionLeaf(p.repos[m.repo], p.digest(m.ref))
		}, func(i int) string {
			m := p.manifest(i)
			return m.Repository + "@" + m.Digest.String()
		}, func(int) { x.sum.Removed.Manifests++ })
		removed += n
		if err != nil {
			return removed, err
		}
	}
	return removed, nil
}

func (p *Plan) maxDepth() int {
	deepest := 0
	for _, m := range p.revs {
		deepest = max(deepest, int(m.depth))
	}
	return deepest
}

// removeLayerLinks removes layer links no remaining manifest of their
// repository references.
func (x *executor) removeLayerLinks(ctx context.Context) (int, error) {
	keep, err := x.reachOfSkipped(ctx)
	if err != nil {
		return 0, err
	}
	if err := x.recheckLayerLinks(ctx, keep); err != nil {
		return 0, err
	}
	p := x.p
	idx := unless(len(p.links), func(i int) bool {
		l := p.links[i]
		_, ok := keep[p.repos[l.repo]][p.digest(l.ref)]
		return ok
	})
	return x.sweep(ctx, PhaseLayerLinks, idx, func(i int) storage.Leaf {
		l := p.links[i]
		return storage.LayerLinkLeaf(p.repos[l.repo], p.digest(l.ref))
	}, func(i int) string {
		l := p.layerLink(i)
		return l.Repository + "@" + l.Digest.String()
	}, func(i int) {
		x.sum.Removed.LayerLinks++
		x.linkGone[i] = true
	})
}

// removeBlobs removes unreferenced blobs, after a last re-check of what
// repositories link now.
func (x *executor) removeBlobs(ctx context.Context) (int, error) {
	if err := x.repairLayerLinks(ctx); err != nil {
		return 0, err
	}
	rescued, err := x.recheckBlobs(ctx)
	if err != nil {
		return 0, err
	}
	bs, digests := x.p.blobRemovals, x.p.blobs.digests
	idx := unless(len(bs), func(i int) bool {
		_, ok := rescued[digests[bs[i].i]]
		return ok
	})
	return x.sweep(ctx, PhaseBlobs, idx, func(i int) storage.Leaf { return storage.BlobLeaf(digests[bs[i].i]) },
		func(i int) string { return digests[bs[i].i].String() },
		func(i int) {
			x.sum.Removed.Blobs++
			x.sum.FreedBytes += bs[i].size
		})
}

func (x *executor) isSkipped(repo string, d storage.Digest) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	_, ok := x.skipped[repo][d]
	return ok
}

func (x *executor) skippedHistory() int {
	n := 0
	for _, h := range x.p.History {
		if _, ok := x.skipped[h.Repository][h.Digest]; ok {
			n++
		}
	}
	return n
}

func isNotFound(err error) bool { return errors.Is(err, storage.ErrNotFound) }
