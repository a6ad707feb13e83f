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
	index int32           // in the plan's repos
	man   *scan.Manifests // the repository's manifests, parsed
	tags  []storage.Tag
	revs  digestSet        // _manifests/revisions whose link is there
	links []storage.Digest // _layers, by name (see planLayerLinks)
	// revDebris and linkDebris are revision and layer link directories
	// without their link (what the registry's delete by digest leaves):
	// nothing the registry serves; gc removes them.
	revDebris, linkDebris []storage.Digest
	// malformedRevs are revisions whose link exists but is no link (see
	// storage.Links): marked live, kept, reported (Plan.Malformed).
	malformedRevs  digestSet
	malformedLinks []storage.Digest
	uploads        []string // upload sessions (named like one, directly in a real _uploads)
	// otherUploads counts what _uploads holds besides sessions, or 1 when
	// it cannot be listed as a directory: left alone, it keeps the
	// repository.
	otherUploads int

	live    digestSet                // manifests live in this repository
	blobs   digestSet                // configs, layers and other blobs of live manifests
	pending []storage.Tag            // referrer tags not (yet) roots
	checked map[storage.Digest]bool  // revisions whose link age was read
	bad     map[storage.Digest]error // untagged revisions that cannot be read
	// keepAll: registry data under a name the registry cannot serve,
	// kept whole (keepData): every revision is a root, nothing removed.
	keepAll bool

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
// links), revisions, layer links and, with uploads, upload sessions.
// Stray entries of its tags directory are warned of and left alone.
func (pl *planner) readRepository(ctx context.Context, repo string, uploads bool) (*repoState, error) {
	r := &repoState{name: repo, man: pl.shared, live: digestSet{}, blobs: digestSet{}, checked: map[storage.Digest]bool{},
		bad: map[storage.Digest]error{}, removedRevs: digestSet{}}
	var tagNames []string
	var stray []storage.Stray
	var revs storage.Links
	err := pl.io(ctx, func() (err error) {
		if tagNames, stray, err = scan.ListTagNames(ctx, pl.st, repo); err != nil {
			return err
		}
		if revs, err = pl.st.ListLinks(ctx, storage.RevisionsPath(repo)); err != nil {
			return err
		}
		// Layer links by name: planLayerLinks looks at the candidates'.
		if r.links, err = pl.st.ListDigests(ctx, storage.LayerLinksPath(repo)); err != nil {
			return err
		}
		if !uploads {
			return nil
		}
		return pl.readUploads(ctx, r)
	})
	if err != nil {
		return nil, err
	}
	r.revDebris = revs.Debris
	r.malformedRevs = make(digestSet, len(revs.Malformed))
	for _, b := range revs.Malformed {
		r.malformedRevs[b.Digest] = struct{}{}
		pl.malformed(repo, LeafRevision, "", b)
	}
	for _, s := range stray {
		pl.warnf("%s: not a tag; left alone", s)
	}
	if r.man == nil {
		r.man = scan.NewManifests(pl.st)
		r.man.UseRefCache(pl.plan.refs)
	}
	r.revs = make(digestSet, len(revs.Linked))
	for _, d := range revs.Linked {
		r.revs[d] = struct{}{}
	}
	if pl.opts.IgnoreTag != nil {
		tagNames = slices.DeleteFunc(tagNames, func(t string) bool { return pl.opts.IgnoreTag(repo, t) })
	}
	r.tags, err = scan.ReadTagsNamed(ctx, pl.st, repo, tagNames, pl.opts.Jobs, func(f func() error) error { return pl.io(ctx, f) })
	return r, err
}

// planRepository marks repository k (of the plan's repos) and plans its
// removals.
func (pl *planner) planRepository(ctx context.Context, k int32) error {
	repo := pl.plan.repos[k]
	r, err := pl.readRepository(ctx, repo, true)
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
	history, historyDebris, err := pl.planHistory(ctx, r)
	if err != nil {
		return err
	}
	debris, err := pl.planDebris(ctx, r, historyDebris)
	if err != nil {
		return err
	}
	pl.record(r, links, uploads, history, pl.removalDepths(r))
	pl.recordDebris(debris)
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
	removedLinks := make(digestSet, len(links)+len(r.linkDebris)+len(r.malformedLinks))
	for _, l := range links {
		removedLinks[l.Digest] = struct{}{}
		pl.plan.blobs.attribute(l.Digest, r.index)
		p.links = append(p.links, linkRemoval{repo: r.index, ref: p.ref(l.Digest)})
	}
	for _, d := range r.linkDebris {
		removedLinks[d] = struct{}{} // no link: it keeps nothing
	}
	for _, d := range r.malformedLinks {
		removedLinks[d] = struct{}{} // kept below
	}
	for _, d := range r.links {
		if _, ok := removedLinks[d]; !ok {
			pl.keepOrWindow(r, d, true)
		}
	}
	for _, d := range r.malformedLinks {
		pl.keep(r.name, d, false) // what the link might name stays
	}
	for _, t := range r.tags {
		if t.LinkErr != nil && !t.Broken() { // a broken one refused the sweep
			pl.warnings[fmt.Sprintf("repository %s: tag %s: %v", r.name, t.Name, t.LinkErr)] = struct{}{}
		}
	}
	pl.revisions += len(r.revs)
	pl.layerLinks += len(r.links)
	for _, t := range r.pending {
		p.Tags = append(p.Tags, TagRemoval{Repository: r.name, Tag: t.Name, Digest: t.Digest, Pushed: t.Pushed})
	}
	for d := range r.removedRevs {
		p.revs = append(p.revs, revRemoval{repo: r.index, ref: p.ref(d), depth: int32(depth[d])})
		pl.plan.blobs.attribute(d, r.index)
		if m, _, err := r.man.Get(context.Background(), d); err == nil {
			for _, b := range m.Blobs {
				pl.plan.blobs.attribute(b.Digest, r.index)
			}
		}
	}
	p.Uploads = append(p.Uploads, uploads...)
	p.History = append(p.History, history...)
	p.KeptRecent += r.keptLinks + r.keptUploads
	p.KeptRemoved += r.keptRemoved
	if len(r.tags) == len(r.pending) && len(r.revs) == len(r.removedRevs) && len(r.malformedRevs) == 0 &&
		len(r.links) == len(links)+len(r.linkDebris) && len(r.malformedLinks) == 0 && len(r.uploads) == len(uploads) && r.otherUploads == 0 {
		p.Repositories = append(p.Repositories, r.name)
	}
}

// recordDebris adds a repository's debris to the plan.
func (pl *planner) recordDebris(debris []DebrisRemoval) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	pl.plan.Debris = append(pl.plan.Debris, debris...)
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
