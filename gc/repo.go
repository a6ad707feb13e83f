package gc

import (
	"context"
	"fmt"
	"slices"

	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
)

type digestSet = map[storage.Digest]struct{}

// repoState is one repository while it is planned: what its directories
// hold and what marking found live in it.
type repoState struct {
	name  string
	index int32           // in pl.repos
	man   *scan.Manifests // the repository's manifests, parsed
	tags  []storage.Tag
	revs  digestSet // _manifests/revisions, from directory names
	// revLinks, on object storage, is what the listing of the revisions
	// said of their links (nil elsewhere): no Stat per revision then.
	revLinks storage.RevisionLinks
	links    []storage.Digest
	uploads  []string // upload sessions (named like one, directly in a real _uploads)
	// otherUploads counts what _uploads holds besides sessions, or 1 when
	// it cannot be listed as a directory: left alone, it keeps the
	// repository.
	otherUploads int

	live    digestSet                // manifests live in this repository
	blobs   digestSet                // configs, layers and other blobs of live manifests
	pending []storage.Tag            // referrer tags not (yet) roots
	checked map[storage.Digest]bool  // revisions whose link age was read
	bad     map[storage.Digest]error // untagged revisions that cannot be read

	// windowLive and windowBlobs are what only the --keep-removed
	// window keeps (see markRemoved); keptRemoved counts its roots.
	windowLive  digestSet
	windowBlobs digestSet
	keptRemoved int

	removedRevs digestSet
	keptLinks   int
	keptUploads int
	removedTags int
}

// readRepository lists the repository's tags (reading their current
// links), revisions, layer links and upload sessions.
func (pl *planner) readRepository(ctx context.Context, repo string) (*repoState, error) {
	r := &repoState{name: repo, man: pl.shared, live: digestSet{}, blobs: digestSet{}, checked: map[storage.Digest]bool{},
		bad: map[storage.Digest]error{}, removedRevs: digestSet{}}
	var tagNames []string
	var revs []storage.Digest
	listed := pl.st.StampsListed() // tag names come with their links: readTags
	err := pl.io(ctx, func() (err error) {
		if !listed {
			if tagNames, err = pl.st.ListNames(ctx, storage.TagsPath(repo)); err != nil {
				return err
			}
		}
		if revs, r.revLinks, err = pl.st.ListRevisions(ctx, repo); err != nil {
			return err
		}
		if r.links, err = pl.st.ListDigests(ctx, storage.LayerLinksPath(repo)); err != nil {
			return err
		}
		return pl.readUploads(ctx, r)
	})
	if err != nil {
		return nil, err
	}
	if r.man == nil {
		r.man = scan.NewManifests(pl.st)
		r.man.UseRefCache(pl.plan.refs)
	}
	r.revs = make(digestSet, len(revs))
	for _, d := range revs {
		r.revs[d] = struct{}{}
	}
	r.tags, err = pl.readTags(ctx, repo, tagNames, listed)
	return r, err
}

// readTags reads the repository's tags but those IgnoreTag drops: named,
// or, on object storage, listed with their links (one listing).
func (pl *planner) readTags(ctx context.Context, repo string, names []string, listed bool) ([]storage.Tag, error) {
	io := func(f func() error) error { return pl.io(ctx, f) }
	var keep func(string) bool
	if pl.opts.IgnoreTag != nil {
		keep = func(t string) bool { return !pl.opts.IgnoreTag(repo, t) }
	}
	if listed {
		if tags, ok, err := scan.ReadAllTagsListed(ctx, pl.st, repo, pl.opts.Jobs, io, keep); ok {
			return tags, err
		}
	}
	if keep != nil {
		names = slices.DeleteFunc(names, func(t string) bool { return !keep(t) })
	}
	return scan.ReadTagsNamed(ctx, pl.st, repo, names, pl.opts.Jobs, io)
}

// planRepository marks repository pl.repos[k] and plans its removals.
func (pl *planner) planRepository(ctx context.Context, k int32) error {
	repo := pl.repos[k]
	r, err := pl.readRepository(ctx, repo)
	if err != nil {
		return fmt.Errorf("repository %s: %w", repo, err)
	}
	r.index = k
	pl.prefetch(ctx, r)
	if err := pl.markRoots(ctx, r); err != nil {
		return err
	}
	if err := pl.markRemoved(ctx, r); err != nil {
		return err
	}
	if pl.opts.DeleteUntagged {
		for d := range r.revs {
			if _, ok := r.live[d]; !ok {
				r.removedRevs[d] = struct{}{}
				if e := r.bad[d]; e != nil {
					pl.warnf("repository %s: untagged manifest %s cannot be read (%v); its revision is removed", repo, d, e)
				}
			}
		}
	}
	links, err := pl.planLayerLinks(ctx, r)
	if err != nil {
		return err
	}
	uploads, err := pl.planUploads(ctx, r)
	if err != nil {
		return err
	}
	history, err := pl.planHistory(ctx, r)
	if err != nil {
		return err
	}
	pl.record(r, links, uploads, history, pl.removalDepths(r))
	return nil
}

// prefetch reads the repository's manifests in parallel: marking reads
// every revision anyway, one at a time.
func (pl *planner) prefetch(ctx context.Context, r *repoState) {
	revs := make([]storage.Digest, 0, len(r.revs))
	for d := range r.revs {
		revs = append(revs, d)
	}
	_ = storage.Each(ctx, len(revs), pl.opts.Jobs, func(ctx context.Context, i int) error {
		_, _ = pl.manifest(ctx, r, revs[i]) // errors are cached and met again by marking
		return nil
	})
}

// record adds a planned repository to the plan: its removals, and what
// remains of it to the registry-wide set of kept blobs.
func (pl *planner) record(r *repoState, links []LayerLinkRemoval, uploads []UploadRemoval, history []HistoryRemoval, depth map[storage.Digest]int) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	p := pl.plan
	for d := range r.live {
		pl.keepOrWindow(r, d, false) // mark already warned of a missing manifest
	}
	for d := range r.blobs {
		pl.keepOrWindow(r, d, true)
	}
	removedLinks := make(digestSet, len(links))
	for _, l := range links {
		removedLinks[l.Digest] = struct{}{}
		pl.plan.blobs.attribute(l.Digest, r.index)
	}
	for _, d := range r.links {
		if _, ok := removedLinks[d]; !ok {
			pl.keepOrWindow(r, d, true)
		}
	}
	for _, t := range r.tags {
		if t.LinkErr != nil {
			pl.warnings[fmt.Sprintf("repository %s: tag %s: %v", r.name, t.Name, t.LinkErr)] = struct{}{}
		}
	}
	for _, t := range r.pending {
		p.Tags = append(p.Tags, TagRemoval{Repository: r.name, Tag: t.Name, Digest: t.Digest, Pushed: t.Pushed})
	}
	for d := range r.removedRevs {
		p.Manifests = append(p.Manifests, ManifestRemoval{Repository: r.name, Digest: d, Depth: depth[d]})
		pl.plan.blobs.attribute(d, r.index)
		if m, _, err := r.man.Get(context.Background(), d); err == nil {
			for _, b := range m.Blobs {
				pl.plan.blobs.attribute(b.Digest, r.index)
			}
		}
	}
	p.LayerLinks = append(p.LayerLinks, links...)
	p.Uploads = append(p.Uploads, uploads...)
	p.History = append(p.History, history...)
	p.KeptRecent += r.keptLinks + r.keptUploads
	p.KeptRemoved += r.keptRemoved
	if len(r.tags) == len(r.pending) && len(r.revs) == len(r.removedRevs) &&
		len(r.links) == len(links) && len(r.uploads) == len(uploads) && r.otherUploads == 0 {
		p.Repositories = append(p.Repositories, r.name)
	}
}

// removalDepths gives each removed revision that a removed index lists as
// a child its depth below the removed indexes: 1 under a top one, 2 under
// one of those, and so on (absent: 0). Manifests are content-addressed,
// so there is no cycle.
func (pl *planner) removalDepths(r *repoState) map[storage.Digest]int {
	depth := map[storage.Digest]int{}
	var visit func(d storage.Digest, level int)
	visit = func(d storage.Digest, level int) {
		m, _, err := r.man.Get(context.Background(), d)
		if err != nil {
			return
		}
		for _, c := range m.Children {
			if _, removed := r.removedRevs[c.Digest]; removed && depth[c.Digest] < level+1 {
				depth[c.Digest] = level + 1
				visit(c.Digest, level+1)
			}
		}
	}
	for d := range r.removedRevs {
		if depth[d] == 0 {
			visit(d, 0)
		}
	}
	return depth
}

// keepOrWindow keeps d for repository r, or, when only the --keep-removed
// window keeps it there, notes it for keepWindow. Called with pl.mu held.
func (pl *planner) keepOrWindow(r *repoState, d storage.Digest, warn bool) {
	if r.inWindow(d) {
		pl.window[d] = struct{}{}
		return
	}
	pl.keep(r.name, d, warn)
}

// keep marks d as kept by repository repo; a digest missing from the
// blob store is a warning when warn is set. Called with pl.mu held.
func (pl *planner) keep(repo string, d storage.Digest, warn bool) {
	if !pl.plan.blobs.keep(d) && warn {
		pl.warnings[fmt.Sprintf("repository %s: blob %s is referenced but missing from the blob store", repo, d)] = struct{}{}
	}
}
