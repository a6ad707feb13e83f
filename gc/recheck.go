package gc

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
	"golang.org/x/sync/errgroup"
)

// recheckTags re-reads the tags of every repository that loses revisions
// just before they go: a revision a tag names now (pushed again since the
// plan) is kept, with every planned revision it reaches.
func (x *executor) recheckTags(ctx context.Context) error {
	planned := map[string]digestSet{}
	for _, m := range x.p.Manifests() {
		if planned[m.Repository] == nil {
			planned[m.Repository] = digestSet{}
		}
		planned[m.Repository][m.Digest] = struct{}{}
	}
	removing := map[string]storage.Digest{}
	for _, t := range x.p.Tags {
		removing[t.Repository+":"+t.Tag] = t.Digest
	}
	man := scan.NewManifests(x.st)
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(x.opts.Jobs)
	for repo, revs := range planned {
		g.Go(func() error {
			tags, err := scan.ReadTagsFresh(gctx, x.st, repo, 1) // a real read of every link, never its ETag
			if err != nil {
				return fmt.Errorf("re-reading tags of %s: %w", repo, err)
			}
			for _, t := range tags {
				if t.Broken() && removing[t.Ref()].IsZero() {
					return fmt.Errorf("%w: tag %s: current link broken since the plan (%v): it may name a "+
						"revision about to go; regprune check explains", storage.ErrRefused, t.Ref(), t.LinkErr)
				}
				if _, ok := revs[t.Digest]; !ok || removing[t.Ref()] == t.Digest {
					continue
				}
				reach := walk(gctx, man, t.Digest)
				mu.Lock()
				for d := range reach {
					if _, ok := revs[d]; ok {
						x.skip(repo, d, t.Name)
					}
				}
				mu.Unlock()
			}
			return nil
		})
	}
	return g.Wait()
}

func (x *executor) skip(repo string, d storage.Digest, tag string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.skipped[repo] == nil {
		x.skipped[repo] = digestSet{}
	}
	if _, ok := x.skipped[repo][d]; !ok {
		x.skipped[repo][d] = struct{}{}
		x.sum.KeptRecent++
		w := fmt.Sprintf("repository %s: manifest %s is tagged again (%s) since the plan; kept", repo, d, tag)
		x.sum.Warnings = append(x.sum.Warnings, w)
	}
}

// reachOfSkipped is, per repository, what the revisions kept by the tag
// re-check reach: their layer links must stay.
func (x *executor) reachOfSkipped(ctx context.Context) (map[string]digestSet, error) {
	man := scan.NewManifests(x.st)
	out := map[string]digestSet{}
	for repo, ds := range x.skipped {
		out[repo] = digestSet{}
		for d := range ds {
			for r := range walk(ctx, man, d) {
				out[repo][r] = struct{}{}
			}
		}
	}
	return out, ctx.Err()
}

// recheckLayerLinks re-lists, just before layer links are deleted, the
// revisions of every repository that loses layer links: what a revision
// unknown to the plan reaches (a push that completed during the run,
// whose client found the layer already linked and did not upload it) is
// added to keep, with a warning for each planned link it saves.
func (x *executor) recheckLayerLinks(ctx context.Context, keep map[string]digestSet) error {
	var repos []string
	planned := map[string]digestSet{}
	for _, l := range x.p.LayerLinks() {
		if planned[l.Repository] == nil {
			planned[l.Repository] = digestSet{}
			repos = append(repos, l.Repository)
		}
		planned[l.Repository][l.Digest] = struct{}{}
	}
	var mu sync.Mutex
	err := x.eachNewRevision(ctx, repos, func(repo string, rev storage.Digest, reach digestSet) error {
		mu.Lock()
		defer mu.Unlock()
		for r := range reach {
			if _, ok := planned[repo][r]; !ok {
				continue
			}
			if keep[repo] == nil {
				keep[repo] = digestSet{}
			}
			if _, done := keep[repo][r]; !done {
				keep[repo][r] = struct{}{}
				x.warnf("repository %s: layer link %s is referenced by manifest %s, pushed since the plan; kept", repo, r, rev)
				x.mu.Lock()
				x.sum.KeptRecent++
				x.mu.Unlock()
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("re-check of layer links: %w", err)
	}
	return nil
}

// eachNewRevision lists the revisions of repos (at most Jobs at a time)
// and calls f, from any goroutine, with each revision the plan does not
// keep (one pushed during the run) and everything its manifest reaches.
func (x *executor) eachNewRevision(ctx context.Context, repos []string, f func(repo string, rev storage.Digest, reach digestSet) error) error {
	man := scan.NewManifests(x.st)
	return storage.Each(ctx, len(repos), x.opts.Jobs, func(ctx context.Context, i int) error {
		return x.newRevisions(ctx, man, repos[i], func(rev storage.Digest, reach digestSet) error {
			return f(repos[i], rev, reach)
		})
	})
}

// newRevisions lists repo's revisions and calls f with each the plan does
// not keep and everything its manifest reaches.
func (x *executor) newRevisions(ctx context.Context, man *scan.Manifests, repo string, f func(rev storage.Digest, reach digestSet) error) error {
	revs, err := x.st.ListLinks(ctx, storage.RevisionsPath(repo))
	if err != nil {
		return err
	}
	for _, rev := range revs.Present() {
		if x.p.blobs.isKept(rev) {
			continue
		}
		if err := f(rev, walk(ctx, man, rev)); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// repairLayerLinks puts back the layer links the sweep removed that a
// manifest pushed during the run needs: its client found the link before
// the sweep, skipped uploading the layer, and the registry accepted the
// manifest just before the link went. It lists the revisions of every
// repository that lost links; for each revision unknown to the plan it
// restores the removed links its manifest reaches whose blob data is
// still there. It runs before the blob re-check (which then keeps those
// blobs) and once more at the end of the run, for a manifest whose
// revision link was written late.
func (x *executor) repairLayerLinks(ctx context.Context) error {
	x.mu.Lock()
	var repos []string // the links are sorted by repository
	for i, gone := range x.linkGone {
		if repo := x.p.repos[x.p.links[i].repo]; gone && (len(repos) == 0 || repos[len(repos)-1] != repo) {
			repos = append(repos, repo)
		}
	}
	x.mu.Unlock()
	err := x.eachNewRevision(ctx, repos, func(repo string, rev storage.Digest, reach digestSet) error {
		for d := range reach {
			if err := x.restoreLink(ctx, repo, d, rev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("repair of layer links: %w", err)
	}
	return nil
}

// restoreLink writes back repo's layer link to d if the sweep removed it
// and d's blob data is still there; rev is the manifest that needs it.
func (x *executor) restoreLink(ctx context.Context, repo string, d, rev storage.Digest) error {
	i := x.p.linkIndex(repo, d)
	x.mu.Lock()
	removed := i >= 0 && x.linkGone[i]
	x.mu.Unlock()
	if !removed {
		return nil
	}
	if _, err := x.st.Stat(ctx, storage.BlobDataPath(d)); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil // nothing to link to any more
		}
		return err
	}
	if err := x.st.Driver.PutContent(ctx, storage.LayerLinkPath(repo, d), []byte(d.String())); err != nil {
		return fmt.Errorf("restoring layer link %s@%s: %w", repo, d, err)
	}
	x.warnf("repository %s: layer link %s restored: manifest %s, pushed during the run, needs it", repo, d, rev)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.linkGone[i] = false
	x.sum.Removed.LayerLinks--
	x.sum.KeptRecent++
	return nil
}

// walk returns every digest manifest d reaches (itself, children at any
// depth, their blobs). Unreadable manifests end the walk there: it only
// ever widens what is kept.
func walk(ctx context.Context, man *scan.Manifests, d storage.Digest) digestSet {
	seen := digestSet{}
	stack := []storage.Digest{d}
	for len(stack) > 0 && ctx.Err() == nil {
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if _, ok := seen[d]; ok {
			continue
		}
		seen[d] = struct{}{}
		m, _, err := man.Get(ctx, d)
		if err != nil {
			continue
		}
		for _, b := range m.Blobs {
			seen[b.Digest] = struct{}{}
		}
		for _, c := range m.Children {
			stack = append(stack, c.Digest)
		}
	}
	return seen
}

// recheckBlobs re-lists the revisions and layer links of every repository
// just before blobs are deleted: a blob that a layer link names now, or
// that a revision unknown to the plan reaches (a push that completed
// during the run), is kept. This narrows the window between mark and
// sweep to the time between this listing and the delete.
func (x *executor) recheckBlobs(ctx context.Context) (digestSet, error) {
	rescued := digestSet{}
	if len(x.p.blobRemovals) == 0 {
		return rescued, nil
	}
	// On object storage, one listing of repositories/ now (in ranges)
	// answers every listing of the re-check: as fresh as a listing per
	// directory, at a request per 1,000 keys.
	ctx, _, err := x.st.Snapshot(ctx, storage.RepositoriesPath(), x.opts.Jobs)
	if err != nil {
		return nil, fmt.Errorf("re-check: %w", err)
	}
	cat, err := x.st.Catalog(ctx, x.opts.Jobs)
	if err != nil {
		return nil, fmt.Errorf("re-check: %w", err)
	}
	repos := cat.Repositories // strays were refused or kept whole by the plan
	man := scan.NewManifests(x.st)
	var mu sync.Mutex
	rescue := func(repo string, set digestSet) {
		mu.Lock()
		defer mu.Unlock()
		for d := range set {
			if x.p.blobs.isRemoved(d) {
				if _, done := rescued[d]; !done {
					rescued[d] = struct{}{}
					x.warnf("repository %s: blob %s was linked since the plan; kept", repo, d)
				}
			}
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(x.opts.Jobs)
	for _, repo := range repos {
		g.Go(func() error {
			return x.recheckRepository(gctx, man, repo, rescue)
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("re-check: %w", err)
	}
	x.mu.Lock()
	x.sum.KeptRecent += len(rescued)
	x.mu.Unlock()
	return rescued, nil
}

func (x *executor) recheckRepository(ctx context.Context, man *scan.Manifests, repo string, rescue func(string, digestSet)) error {
	links, err := x.st.ListLinks(ctx, storage.LayerLinksPath(repo))
	if err != nil {
		return err
	}
	set := make(digestSet, len(links.Linked)+len(links.Malformed))
	for _, d := range links.Present() {
		set[d] = struct{}{}
	}
	rescue(repo, set)
	return x.newRevisions(ctx, man, repo, func(_ storage.Digest, reach digestSet) error {
		rescue(repo, reach)
		return nil
	})
}
