package scan

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/regprune/regprune/internal/progress"
	"github.com/regprune/regprune/storage"
	"golang.org/x/sync/errgroup"
)

// RepositoryUsage is what one repository holds and what it alone keeps.
type RepositoryUsage struct {
	Name        string `json:"repository"`
	Tags        int    `json:"tags"`
	Manifests   int    `json:"manifests"`          // manifest revisions
	Untagged    int    `json:"untagged_manifests"` // revisions no tag reaches, directly or as an index child
	Referenced  int64  `json:"referenced_bytes"`   // every blob it references, once each
	Shared      int64  `json:"shared_bytes"`       // those also referenced by another repository
	Only        int64  `json:"only_bytes"`         // those no other repository references
	Reclaimable int64  `json:"reclaimable_bytes"`  // what gc --delete-untagged frees because of this repository alone
	Uploads     int    `json:"uploads"`
}

// Upload is an upload session in progress (or abandoned).
type Upload struct {
	Repository string    `json:"repository"`
	ID         string    `json:"id"`
	Started    time.Time `json:"started"`
}

// Totals are registry-wide.
type Totals struct {
	Repositories int   `json:"repositories"`
	Tags         int   `json:"tags"`
	Manifests    int   `json:"manifests"`
	Untagged     int   `json:"untagged_manifests"`
	Blobs        int   `json:"blobs"`            // blobs in the blob store
	Referenced   int64 `json:"referenced_bytes"` // blobs some repository references, once each
	OrphanBlobs  int   `json:"orphan_blobs"`     // blobs in no repository's layer links nor revisions
	OrphanBytes  int64 `json:"orphan_bytes"`
	// What gc --delete-untagged would free: all of it, and the parts
	// attributed to single repositories, to several, and to none (orphans).
	Reclaimable        int64 `json:"reclaimable_bytes"`
	ReclaimableOnly    int64 `json:"reclaimable_single_repository_bytes"`
	ReclaimableShared  int64 `json:"reclaimable_shared_bytes"`
	ReclaimableOrphans int64 `json:"reclaimable_orphan_bytes"`
	Uploads            int   `json:"uploads"`
}

// Inventory is where the space goes, per repository and in total.
type Inventory struct {
	Repositories []RepositoryUsage `json:"repositories"` // by Only, largest first
	Totals       Totals            `json:"totals"`
	Uploads      []Upload          `json:"upload_sessions"`
	Warnings     []string          `json:"warnings"` // manifests that could not be read
}

// InventoryOptions tunes Take.
type InventoryOptions struct {
	Jobs     int
	Progress func(phase string, total int64, unit progress.Unit, items string) *progress.Bar
	// Manifests, when set, is a parsed-manifest cache shared with another
	// reader (gc's planner), so that each manifest is read once.
	Manifests *Manifests
}

// blobInfo is what the inventory keeps per digest: memory grows with the
// number of digests, never with their sizes.
type blobInfo struct {
	size   int64 // -1 until known
	repos  int32 // repositories referencing it
	owner  int32 // the repository referencing it, while repos == 1
	linked bool  // a revision or layer link of some repository
}

type inventory struct {
	st    *storage.Storage
	opts  InventoryOptions
	jobs  int
	sem   limiter
	mans  *Manifests
	sizes *memo[storage.Digest, int64]

	mu    sync.Mutex
	blobs map[storage.Digest]*blobInfo
	inv   Inventory
}

// Take reads every repository (tags' current links, revisions, layer
// links, uploads, manifests) and the blob store's names, and says where
// the space goes. Sizes come from manifest descriptors and manifest blobs
// as read; only blobs no manifest describes (layer links alone, schema1
// layers, orphans) are stat-ed. It never writes. Reclaimable bytes are
// filled in afterwards by Attribute, from gc's plan.
func Take(ctx context.Context, st *storage.Storage, opts InventoryOptions) (*Inventory, error) {
	jobs := opts.Jobs
	if jobs < 1 {
		jobs = storage.DefaultJobs
	}
	in := &inventory{st: st, opts: opts, jobs: jobs, sem: make(limiter, jobs),
		mans: opts.Manifests, sizes: newMemo[storage.Digest, int64](),
		blobs: make(map[storage.Digest]*blobInfo)}
	if in.mans == nil {
		in.mans = NewManifests(st)
	}
	// On object storage every repository is listed once (in ranges), and
	// every listing below is answered from it.
	ctx, _, err := st.Snapshot(ctx, storage.RepositoriesPath(), jobs)
	if err != nil {
		return nil, err
	}
	cat, err := st.Catalog(ctx, jobs)
	if err != nil {
		return nil, err
	}
	repos := cat.Repositories
	for _, s := range cat.Stray {
		in.warn(s.String() + ": not a repository; left alone" + strayNote(s))
	}
	in.inv.Repositories = make([]RepositoryUsage, len(repos))
	if err := in.readRepositories(ctx, repos); err != nil {
		return nil, err
	}
	if err := in.readBlobStore(ctx); err != nil {
		return nil, err
	}
	in.finish()
	return &in.inv, nil
}

func (in *inventory) bar(phase string, total int64, items string) *progress.Bar {
	if in.opts.Progress == nil {
		return nil
	}
	return in.opts.Progress(phase, total, progress.Items, items)
}

func (in *inventory) io(ctx context.Context, f func() error) error { return in.sem.do(ctx, f) }

func (in *inventory) readRepositories(ctx context.Context, repos []string) error {
	bar := in.bar("reading repositories", int64(len(repos)), "repositories")
	defer bar.Done()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(in.jobs)
	for i, name := range repos {
		g.Go(func() error {
			defer bar.Add(1)
			u, err := in.readRepository(gctx, int32(i), name)
			if err != nil {
				return fmt.Errorf("repository %s: %w", name, err)
			}
			in.inv.Repositories[i] = *u
			return nil
		})
	}
	return g.Wait()
}

// finish splits each repository's bytes into shared and its own, adds the
// totals and sorts.
func (in *inventory) finish() {
	inv := &in.inv
	for _, b := range in.blobs {
		if b.repos == 1 {
			inv.Repositories[b.owner].Only += b.size
		}
		if b.repos > 0 {
			inv.Totals.Referenced += b.size
		}
	}
	t := &inv.Totals
	t.Repositories = len(inv.Repositories)
	for i := range inv.Repositories {
		u := &inv.Repositories[i]
		u.Shared = u.Referenced - u.Only
		t.Tags += u.Tags
		t.Manifests += u.Manifests
		t.Untagged += u.Untagged
		t.Uploads += u.Uploads
	}
	SortUsage(inv.Repositories)
	sort.Slice(inv.Uploads, func(i, j int) bool {
		a, b := inv.Uploads[i], inv.Uploads[j]
		if !a.Started.Equal(b.Started) {
			return a.Started.Before(b.Started)
		}
		return a.Repository+"/"+a.ID < b.Repository+"/"+b.ID
	})
	sort.Strings(inv.Warnings)
}

// SortUsage orders repositories by the bytes they alone hold, largest
// first, then by name.
func SortUsage(us []RepositoryUsage) {
	sort.SliceStable(us, func(i, j int) bool {
		if us[i].Only != us[j].Only {
			return us[i].Only > us[j].Only
		}
		return us[i].Name < us[j].Name
	})
}

// Reclaim is one blob gc would remove: its size, and the repositories
// whose removed revisions or layer links referenced it (none for an
// orphan).
type Reclaim struct {
	Size         int64
	Repositories []string
}

// Attribute spreads what gc would free over the repositories: a blob that
// only one repository referenced counts for that repository; a blob
// several referenced counts once, in Totals.ReclaimableShared; an orphan in
// Totals.ReclaimableOrphans. Totals.Reclaimable is the sum of all, which is
// exactly the plan's freed bytes.
func (inv *Inventory) Attribute(freed []Reclaim) {
	idx := make(map[string]int, len(inv.Repositories))
	for i, u := range inv.Repositories {
		idx[u.Name] = i
	}
	t := &inv.Totals
	for _, f := range freed {
		t.Reclaimable += f.Size
		switch len(f.Repositories) {
		case 0:
			t.ReclaimableOrphans += f.Size
		case 1:
			t.ReclaimableOnly += f.Size
			if i, ok := idx[f.Repositories[0]]; ok {
				inv.Repositories[i].Reclaimable += f.Size
			}
		default:
			t.ReclaimableShared += f.Size
		}
	}
}

// prefetch reads the revisions' manifests in parallel, into the cache the
// walks then use.
func (in *inventory) prefetch(ctx context.Context, revs []storage.Digest) {
	var g errgroup.Group
	g.SetLimit(in.jobs)
	for _, d := range revs {
		g.Go(func() error {
			_ = in.io(ctx, func() error { _, _, err := in.mans.Get(ctx, d); return err })
			return nil // errors are met again, and reported, by walk
		})
	}
	_ = g.Wait()
}

// strayNote says what gc does about stray s, when it is more than
// leaving it alone.
func strayNote(s storage.Stray) string {
	switch {
	case s.Opaque():
		return " (not followed: gc and prune refuse to sweep while it is there)"
	case s.Data:
		return " (gc keeps it whole with everything it references)"
	}
	return ""
}
