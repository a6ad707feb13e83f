package gc

import (
	"context"
	"errors"
	"fmt"

	"github.com/regprune/regprune/storage"
)

// errNoJournal: Execute was asked to remove tags or manifests without a
// journal to record them in.
var errNoJournal = errors.New("no journal to record the removals in (Options.Journal)")

// journal records, before anything is removed, the orphan referrer tags
// and the manifest revisions the plan removes, in the run's journal: what
// restore can put back, and how it knows a manifest was collected. When
// the record cannot be written nothing is removed.
func (x *executor) journal(ctx context.Context) error {
	p := x.p
	if len(p.Tags) == 0 && len(p.revs) == 0 {
		return nil
	}
	j := x.opts.Journal
	if j == nil {
		return errNoJournal
	}
	tags := make([]storage.Tag, len(p.Tags))
	for i, t := range p.Tags {
		tags[i] = storage.Tag{Repository: t.Repository, Name: t.Tag, Digest: t.Digest, Pushed: t.Pushed}
	}
	ms := make([]storage.JournalManifest, len(p.revs))
	for i, m := range p.Manifests() {
		ms[i] = storage.JournalManifest{Repository: m.Repository, Digest: m.Digest}
	}
	return j.RecordRemovals(ctx, tags, ms, x.opts.Jobs)
}

// markRemoved marks, once the repository's live set is complete, the
// manifests of tags removed within the --keep-removed window (those whose
// revision is still in the repository), and what they keep alive in turn
// (referrers included). What only they keep is noted apart
// (r.windowLive, r.windowBlobs): record() hands it to keepWindow, which
// keeps it and counts its bytes.
func (pl *planner) markRemoved(ctx context.Context, r *repoState) error {
	ds := pl.opts.KeepRemoved[r.name]
	if len(ds) == 0 {
		return nil
	}
	live := make(digestSet, len(r.live))
	for d := range r.live {
		live[d] = struct{}{}
	}
	blobs := make(digestSet, len(r.blobs))
	for d := range r.blobs {
		blobs[d] = struct{}{}
	}
	for _, d := range ds {
		if _, ok := r.revs[d]; !ok {
			continue
		}
		if _, ok := live[d]; !ok {
			r.keptRemoved++
		}
		if err := pl.mark(ctx, r, d, ""); err != nil {
			return err
		}
	}
	if err := pl.fixpoint(ctx, r); err != nil {
		return err
	}
	r.windowLive, r.windowBlobs = digestSet{}, digestSet{}
	for d := range r.live {
		if _, ok := live[d]; !ok {
			r.windowLive[d] = struct{}{}
		}
	}
	for d := range r.blobs {
		if _, ok := blobs[d]; !ok {
			r.windowBlobs[d] = struct{}{}
		}
	}
	return nil
}

// inWindow reports whether d is kept in r only by the window.
func (r *repoState) inWindow(d storage.Digest) bool {
	_, a := r.windowLive[d]
	_, b := r.windowBlobs[d]
	return a || b
}

// keepWindow keeps the blobs only the window keeps (nothing else does,
// once every repository is recorded) and counts their bytes.
func (pl *planner) keepWindow(ctx context.Context) error {
	var only []storage.Digest
	for d := range pl.window {
		if i := pl.plan.blobs.index(d); i >= 0 && !pl.plan.blobs.kept[i] {
			only = append(only, d)
			pl.plan.blobs.keep(d)
		}
	}
	infos, err := pl.st.StatLeaves(ctx, len(only), pl.opts.Jobs, func(i int) storage.Leaf { return storage.BlobLeaf(only[i]) })
	if err != nil {
		return fmt.Errorf("keep-removed window: %w", err)
	}
	for _, fi := range infos {
		pl.plan.KeptRemovedBytes += fi.Size
	}
	return nil
}
