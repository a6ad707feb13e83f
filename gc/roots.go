package gc

import (
	"context"
	"errors"
	"fmt"

	"github.com/regprune/regprune/storage"
)

// markRoots marks the repository's live set to a fixpoint: the current
// manifest of every tag (every revision too, without DeleteUntagged);
// then, repeatedly, referrer tags and untagged manifests whose subject is
// live, and revisions and referrer tags within the grace period.
func (pl *planner) markRoots(ctx context.Context, r *repoState) error {
	referrersWait := pl.opts.DeleteUntagged && !pl.opts.KeepOrphanReferrers
	for _, t := range r.tags {
		if t.Digest.IsZero() {
			continue
		}
		if _, ok := storage.ReferrerSubject(t.Name); ok && referrersWait {
			r.pending = append(r.pending, t)
			continue
		}
		if err := pl.mark(ctx, r, t.Digest); err != nil {
			return err
		}
	}
	if !pl.opts.DeleteUntagged {
		for d := range r.revs {
			if err := pl.mark(ctx, r, d); err != nil {
				return err
			}
		}
	}
	return pl.fixpoint(ctx, r)
}

// fixpoint marks, until nothing changes, referrer tags and untagged
// manifests whose subject is live, and revisions and referrer tags within
// the grace period.
func (pl *planner) fixpoint(ctx context.Context, r *repoState) error {
	for {
		n := len(r.live)
		if err := pl.markReferrers(ctx, r); err != nil {
			return err
		}
		if len(r.live) == n {
			if err := pl.markRecent(ctx, r); err != nil {
				return err
			}
		}
		if len(r.live) == n {
			return nil
		}
	}
}

// markReferrers marks pending referrer tags whose subject is live, and
// untagged revisions whose manifest names a live subject.
func (pl *planner) markReferrers(ctx context.Context, r *repoState) error {
	still := r.pending[:0]
	for _, t := range r.pending {
		subject, _ := storage.ReferrerSubject(t.Name)
		if _, ok := r.live[subject]; !ok {
			still = append(still, t)
			continue
		}
		if err := pl.mark(ctx, r, t.Digest); err != nil {
			return err
		}
	}
	r.pending = still
	for d := range r.revs {
		if _, ok := r.live[d]; ok || r.bad[d] != nil {
			continue
		}
		m, err := pl.manifest(ctx, r, d)
		if err != nil {
			if !errors.Is(err, storage.ErrBadManifest) && !errors.Is(err, storage.ErrNotFound) {
				// An I/O error: whether its subject is live is unknown.
				return fmt.Errorf("repository %s: untagged manifest %s: %w", r.name, d, err)
			}
			r.bad[d] = err
			continue
		}
		if m.Subject == nil {
			continue
		}
		if _, ok := r.live[*m.Subject]; ok {
			if err := pl.mark(ctx, r, d); err != nil {
				return err
			}
		}
	}
	return nil
}

// markRecent marks untagged revisions whose link was written within the
// grace period, and pending referrer tags pushed within it.
func (pl *planner) markRecent(ctx context.Context, r *repoState) error {
	still := r.pending[:0]
	var recent []storage.Digest
	for _, t := range r.pending {
		if pl.opts.recent(t.Pushed) {
			pl.keptRecent(1)
			recent = append(recent, t.Digest)
			continue
		}
		still = append(still, t)
	}
	r.pending = still
	var todo []storage.Digest
	for d := range r.revs {
		if _, ok := r.live[d]; !ok && !r.checked[d] {
			r.checked[d] = true
			todo = append(todo, d)
		}
	}
	var fresh []storage.Digest
	var err error
	if r.revLinks != nil { // their times came with the listing
		for _, d := range todo {
			if info := r.revLinks[d]; info.Exists && pl.opts.recent(info.ModTime) {
				fresh = append(fresh, d)
			}
		}
	} else if fresh, err = pl.recentLeaves(ctx, todo, func(d storage.Digest) storage.Leaf { return storage.RevisionLeaf(r.name, d) }); err != nil {
		return fmt.Errorf("repository %s: %w", r.name, err)
	}
	pl.keptRecent(len(fresh))
	for _, d := range append(recent, fresh...) {
		if err := pl.mark(ctx, r, d); err != nil {
			return err
		}
	}
	return nil
}

// recentLeaves returns the digests among ds whose leaf (the file in it,
// else the directory) was modified within the grace period. A leaf that
// does not exist is not recent. The repository's stats take one I/O slot:
// repositories are planned side by side.
func (pl *planner) recentLeaves(ctx context.Context, ds []storage.Digest, leaf func(storage.Digest) storage.Leaf) ([]storage.Digest, error) {
	var infos []storage.LeafInfo
	err := pl.io(ctx, func() (err error) {
		infos, err = pl.st.StatLeaves(ctx, len(ds), 1, func(i int) storage.Leaf { return leaf(ds[i]) })
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []storage.Digest
	for i, d := range ds {
		if infos[i].Exists && pl.opts.recent(infos[i].ModTime) {
			out = append(out, d)
		}
	}
	return out, nil
}
