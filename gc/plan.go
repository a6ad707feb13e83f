package gc

import (
	"cmp"
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
	Tags         []TagRemoval       // orphan referrer tags
	Manifests    []ManifestRemoval  // untagged revisions
	History      []HistoryRemoval   // tag index/ entries of those revisions
	LayerLinks   []LayerLinkRemoval // layer links no remaining manifest references
	Blobs        []BlobRemoval      // blobs no repository references
	Uploads      []UploadRemoval    // upload sessions older than UploadsOlderThan
	Repositories []string           // repositories left empty
	KeptRecent   int                // objects kept because of the grace period
	// KeptRemoved counts the manifests of removed tags the --keep-removed
	// window keeps; KeptRemovedBytes the blob data only they keep.
	KeptRemoved      int
	KeptRemovedBytes int64
	Warnings         []string // absent things, sorted and unique

	// blobs is every digest in the blob store with whether something that
	// remains after the sweep keeps it. Execute's re-check uses it.
	blobs *blobStore
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
	repos    []string   // every repository, sorted; blob attributions index it
	owners   [][]string // owners[k] is []string{repos[k]}, shared by the blobs only k references
	warnings map[string]struct{}
	window   digestSet // what only the --keep-removed window keeps, in some repository
}

// NewPlan reads the storage, marks per repository what remains live and
// returns what gc would remove. It deletes nothing. A manifest gc must
// follow that exists but cannot be read or interpreted is an error naming
// repository, digest and reason (wrapping storage.ErrBadManifest): nothing
// can be planned safely then.
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
	repos, err := st.Repositories(ctx, opts.Jobs)
	if err != nil {
		return nil, fmt.Errorf("listing repositories: %w", err)
	}
	pl.repos = repos
	opts.Log.Debug("gc: marking", "repositories", len(repos), "blobs", blobs.len())
	err = storage.Each(ctx, len(repos), opts.Jobs, func(ctx context.Context, k int) error {
		return pl.planRepository(ctx, int32(k))
	})
	if err != nil {
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
	sortRepoDigest(p.Manifests, func(m ManifestRemoval) (string, storage.Digest) { return m.Repository, m.Digest })
	sort.Slice(p.History, func(i, j int) bool {
		a, b := p.History[i], p.History[j]
		if a.Repository != b.Repository || a.Tag != b.Tag {
			return joinedLess(a.Repository, ':', a.Tag, b.Repository, b.Tag)
		}
		return a.Digest.Compare(b.Digest) < 0
	})
	sortRepoDigest(p.LayerLinks, func(l LayerLinkRemoval) (string, storage.Digest) { return l.Repository, l.Digest })
	slices.SortFunc(p.Blobs, func(a, b BlobRemoval) int { return a.Digest.Compare(b.Digest) })
	sort.Slice(p.Uploads, func(i, j int) bool {
		return joinedLess(p.Uploads[i].Repository, '/', p.Uploads[i].ID, p.Uploads[j].Repository, p.Uploads[j].ID)
	})
	sort.Strings(p.Repositories)
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

func sortRepoDigest[T any](s []T, key func(T) (string, storage.Digest)) {
	slices.SortFunc(s, func(a, b T) int {
		ra, da := key(a)
		rb, db := key(b)
		return cmp.Or(strings.Compare(ra, rb), da.Compare(db))
	})
}
