package gc

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
)

// Plan is everything a gc run removes, computed by NewPlan and deleted by
// Execute. A dry run prints it; the real run executes the same value.
type Plan struct {
	// The untagged revisions, the layer links no remaining manifest
	// references and the blobs no repository references are listed by
	// the methods Manifests, LayerLinks and Blobs (see removals.go).
	Tags         []TagRemoval     // orphan referrer tags
	History      []HistoryRemoval // tag index/ entries of the removed revisions
	Uploads      []UploadRemoval  // upload sessions older than UploadsOlderThan
	Repositories []string         // repositories left empty
	// Debris are leaf directories without their link (the registry's
	// delete by digest leaves them), removed with the directories they
	// leave empty.
	Debris []DebrisRemoval
	// Malformed are links that exist but are no link: kept, with what
	// they might reach, and reported (the command ends non-zero).
	Malformed  []MalformedLink
	KeptRecent int // objects kept because of the grace period
	// KeptRemoved counts the manifests of removed tags the --keep-removed
	// window keeps; KeptRemovedBytes the blob data only they keep.
	KeptRemoved      int
	KeptRemovedBytes int64
	Warnings         []string // absent things, sorted and unique

	// blobs is every digest in the blob store with whether something that
	// remains after the sweep keeps it. Execute's re-check uses it.
	blobs *blobStore
	// revs, links and blobRemovals are the removals of revisions, layer
	// links and blobs, as indexes (removals.go); extra holds the digests
	// they name that the blob store does not hold (extraIndex finds them).
	revs         []revRemoval
	links        []linkRemoval
	blobRemovals []blobRemoval
	extra        []storage.Digest
	extraIndex   map[storage.Digest]int32
	// repos is every repository, sorted: removals and blob attributions
	// index it; single[k] is []string{repos[k]}, shared by the blobs only
	// repository k references.
	repos  []string
	single [][]string
	// emptyPrefixes are blob prefix directories found empty (left by an
	// interrupted run): the directory phase removes them too, so that a
	// re-run reaches the state of an uninterrupted run.
	emptyPrefixes []string
	// opts are the options the plan was made with.
	opts Options
	// refs is the manifest reference cache the plan read through; a real
	// run's Execute saves it.
	refs *scan.RefCache
}

// planner holds the state of one NewPlan.
type planner struct {
	st   *storage.Storage
	opts Options
	sem  chan struct{} // bounds storage I/O to opts.Jobs
	// shared is the manifest cache of opts.Manifests, or nil: each
	// repository then reads its manifests into a cache of its own, dropped
	// once the repository is planned, so that memory holds the manifests
	// of the repositories being planned, not of the whole storage.
	shared *scan.Manifests

	mu       sync.Mutex
	plan     *Plan
	warnings map[string]struct{}
	window   digestSet // what only the --keep-removed window keeps, in some repository
	refusals []Refusal // reasons to refuse the sweep (refuse.go)
	// revisions and layerLinks count what the repositories hold, for the
	// blob store's sanity check; blobsUnlisted is set when the blob
	// store could not be listed (already refused).
	revisions, layerLinks int
	blobsUnlisted         bool
}

// NewPlan reads the storage, marks per repository what remains live and
// returns what gc would remove. It deletes nothing.
//
// It fails closed: when anything gc must follow to know what is live
// cannot be read or interpreted (a tag's broken current link; a manifest
// a tag reaches, at any depth, missing or unreadable; a blob store empty
// while repositories hold revisions or layer links; a symbolic link or
// special file where registry data may be), it refuses the whole sweep:
// the error is a *RefusalError (wrapping storage.ErrRefused) naming every
// culprit and its fix. Stray entries of the repositories directory are
// warned of and left alone; one holding registry data under a name the
// registry cannot serve is kept whole, with everything it references.
func NewPlan(ctx context.Context, st *storage.Storage, opts Options) (*Plan, error) {
	opts = opts.withDefaults()
	pl := &planner{
		st: st, opts: opts, sem: make(chan struct{}, opts.Jobs), shared: opts.Manifests,
		plan: &Plan{opts: opts}, warnings: make(map[string]struct{}), window: digestSet{},
	}
	pl.loadRefCache(ctx)
	blobs, err := pl.listBlobs(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing blobs: %w", err)
	}
	pl.plan.blobs = blobs
	// On object storage the repositories are listed once, in ranges, and
	// every listing of the plan below is answered from that listing; the
	// executor's re-checks list the bucket again.
	ctx, keys, err := st.Snapshot(ctx, storage.RepositoriesPath(), opts.Jobs)
	if err != nil {
		return nil, fmt.Errorf("listing repositories: %w", err)
	}
	opts.Log.Debug("gc: repositories listed", "keys", keys)
	cat, err := st.Catalog(ctx, opts.Jobs)
	if ae, ok := storage.IsAnomaly(err); ok {
		pl.refuseAnomaly("", ae)
		return nil, pl.refusal()
	}
	if err != nil {
		return nil, fmt.Errorf("listing repositories: %w", err)
	}
	pl.plan.repos = cat.Repositories
	data := pl.sortStray(cat.Stray)
	opts.Log.Debug("gc: marking", "repositories", len(cat.Repositories), "blobs", blobs.len())
	err = storage.Each(ctx, len(cat.Repositories), opts.Jobs, func(ctx context.Context, k int) error {
		return pl.refuseOnAnomaly(ctx, cat.Repositories[k], pl.planRepository(ctx, int32(k)))
	})
	if err != nil {
		return nil, err
	}
	err = storage.Each(ctx, len(data), opts.Jobs, func(ctx context.Context, k int) error {
		return pl.refuseOnAnomaly(ctx, data[k], pl.keepData(ctx, data[k]))
	})
	if err != nil {
		return nil, err
	}
	pl.checkBlobStore()
	if err := pl.refusal(); err != nil {
		return nil, err
	}
	if err := pl.keepWindow(ctx); err != nil {
		return nil, err
	}
	if err := pl.planBlobs(ctx); err != nil {
		return nil, err
	}
	pl.finish()
	return pl.plan, nil
}

// refuseOnAnomaly turns an anomaly met while planning repository repo
// into a refusal; other errors are returned.
func (pl *planner) refuseOnAnomaly(ctx context.Context, repo string, err error) error {
	if ae, ok := storage.IsAnomaly(err); ok && ctx.Err() == nil {
		pl.refuseAnomaly(repo, ae)
		return nil
	}
	return err
}

// io runs one storage operation within the I/O bound.
func (pl *planner) io(ctx context.Context, f func() error) error {
	select {
	case pl.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-pl.sem }()
	return f()
}

// manifest reads and parses manifest d once per repository.
func (pl *planner) manifest(ctx context.Context, r *repoState, d storage.Digest) (m *scan.Manifest, err error) {
	err = pl.io(ctx, func() error {
		m, _, err = r.man.Get(ctx, d)
		return err
	})
	return m, err
}

func (pl *planner) warnf(format string, args ...any) {
	w := fmt.Sprintf(format, args...)
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if _, ok := pl.warnings[w]; !ok {
		pl.warnings[w] = struct{}{}
		pl.opts.Log.Warn("gc: " + w)
	}
}

func (pl *planner) keptRecent(n int) {
	pl.mu.Lock()
	pl.plan.KeptRecent += n
	pl.mu.Unlock()
}

// finish sorts every list so that output and tests are deterministic.
func (pl *planner) finish() {
	p := pl.plan
	for w := range pl.warnings {
		p.Warnings = append(p.Warnings, w)
	}
	sort.Strings(p.Warnings)
	sort.Slice(p.Tags, func(i, j int) bool {
		return joinedLess(p.Tags[i].Repository, ':', p.Tags[i].Tag, p.Tags[j].Repository, p.Tags[j].Tag)
	})
	sort.Slice(p.History, func(i, j int) bool {
		a, b := p.History[i], p.History[j]
		if a.Repository != b.Repository || a.Tag != b.Tag {
			return joinedLess(a.Repository, ':', a.Tag, b.Repository, b.Tag)
		}
		return a.Digest.Compare(b.Digest) < 0
	})
	p.sortRemovals()
	sort.Slice(p.Uploads, func(i, j int) bool {
		return joinedLess(p.Uploads[i].Repository, '/', p.Uploads[i].ID, p.Uploads[j].Repository, p.Uploads[j].ID)
	})
	sort.Strings(p.Repositories)
	slices.SortFunc(p.Debris, func(a, b DebrisRemoval) int { return strings.Compare(a.String(), b.String()) })
	slices.SortFunc(p.Malformed, func(a, b MalformedLink) int { return strings.Compare(a.String(), b.String()) })
}

// joinedLess reports whether a1+sep+a2 < b1+sep+b2, without building
// either string.
func joinedLess(a1 string, sep byte, a2, b1, b2 string) bool {
	at := func(x1, x2 string, i int) byte {
		switch {
		case i < len(x1):
			return x1[i]
		case i == len(x1):
			return sep
		default:
			return x2[i-len(x1)-1]
		}
	}
	na, nb := len(a1)+1+len(a2), len(b1)+1+len(b2)
	for i := 0; i < na && i < nb; i++ {
		if ca, cb := at(a1, a2, i), at(b1, b2, i); ca != cb {
			return ca < cb
		}
	}
	return na < nb
}
