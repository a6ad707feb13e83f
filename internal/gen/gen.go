// Package gen writes synthetic registry storage trees for tests and
// benchmarks: the exact layout docker/distribution's registry writes on a
// push (blobs/sha256/xx/<hex>/data, repository _layers links, manifest
// revision links, tags with current/link and index/sha256/<hex>/link),
// with valid Docker schema2 and OCI image manifests, manifest lists and OCI
// indexes whose descriptors carry the true digest and size of every blob,
// and configs whose diff_ids match the (tiny, gzipped tar) layers.
//
// It writes with the os package directly, which is fast; it is test
// support code and never touches a registry regprune maintains. The tree is
// a pure function of Config (Seed included), whatever Jobs is.
//
// What a tree holds, per repository, per tag: one image (or, for a share of
// tags, an index of Platforms images) pushed as the registry would; for a
// share of tags, HistoryDepth older pushes of the same tag (their manifests
// stay in the tag's index/ history, untagged); for a share of tags, the tag
// deleted afterwards (its manifests left untagged, as the v3 API's tag
// DELETE leaves them). The images of a repository start with one base
// layer drawn from a pool shared by all repositories. Orphan blobs are blob data no
// repository links to. Every object carries a modification time in the
// past (Age before Now), except a RecentShare of pushes made "now".
package gen

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Config shapes a generated tree. Zero fields take the defaults of
// Defaults; shares are probabilities in [0, 1].
type Config struct {
	Seed              uint64
	Repositories      int
	TagsPerRepository int
	LayersPerImage    int     // layers of each image, base layer included (default 3)
	LayerSize         int     // random bytes inside each layer's tar (default 32)
	IndexShare        float64 // tags that are multi-platform indexes
	Platforms         int     // images per index (default 2, at most 6)
	OCIShare          float64 // tags written with OCI media types instead of Docker's
	UntaggedShare     float64 // tags deleted after their push: manifests left untagged
	HistoryShare      float64 // tags pushed before with other manifests, kept in index/
	HistoryDepth      int     // older pushes of such a tag (default 2)
	BaseLayers        int     // pool of base layers shared across repositories (0: none)
	OrphanBlobs       int     // blobs no repository links to
	NestedShare       float64 // repositories with nested names (team/app, or app/sub inside a repository)
	RecentShare       float64 // pushes dated Now instead of in the past
	Now               time.Time
	Age               time.Duration // how long before Now the oldest-but-recent pushes are dated (default 30 days)
	Jobs              int           // repositories written in parallel (default 4)
}

// Defaults is a small mixed tree: every feature present.
func Defaults() Config {
	return Config{
		Seed: 1, Repositories: 10, TagsPerRepository: 5, LayersPerImage: 3, LayerSize: 32,
		IndexShare: 0.2, Platforms: 2, OCIShare: 0.3, UntaggedShare: 0.2, HistoryShare: 0.3,
		HistoryDepth: 2, BaseLayers: 4, OrphanBlobs: 3, NestedShare: 0.3,
	}
}

func (c Config) withDefaults() (Config, error) {
	if c.Repositories < 0 || c.TagsPerRepository < 0 || c.LayersPerImage < 0 || c.OrphanBlobs < 0 || c.BaseLayers < 0 {
		return c, errors.New("gen: negative count in config")
	}
	for _, s := range []float64{c.IndexShare, c.OCIShare, c.UntaggedShare, c.HistoryShare, c.NestedShare, c.RecentShare} {
		if s < 0 || s > 1 {
			return c, fmt.Errorf("gen: share %v outside [0, 1]", s)
		}
	}
	if c.LayersPerImage == 0 {
		c.LayersPerImage = 3
	}
	if c.LayerSize <= 0 {
		c.LayerSize = 32
	}
	if c.Platforms <= 0 {
		c.Platforms = 2
	}
	c.Platforms = min(c.Platforms, len(platforms))
	if c.HistoryDepth <= 0 {
		c.HistoryDepth = 2
	}
	if c.Now.IsZero() {
		c.Now = time.Now()
	}
	if c.Age <= 0 {
		c.Age = 30 * 24 * time.Hour
	}
	if c.Jobs <= 0 {
		c.Jobs = 4
	}
	return c, nil
}

// Result says what was written, and what a correct collector keeps.
type Result struct {
	Root         string              // the registry rootdirectory
	Repositories []string            // sorted
	Tags         map[string][]string // repository -> tags with a current link, sorted
	RemovedTags  map[string][]string // repository -> tags deleted after their push, sorted
	Images       int                 // image manifests written (index children included)
	Indexes      int                 // manifest lists and OCI indexes written
	Revisions    int                 // manifest revision links
	LayerLinks   int                 // _layers links
	HistoryLinks int                 // tag index/ links (one per push of a tag that was not deleted)
	Blobs        int                 // distinct blob data files (manifests included)
	Files        int                 // regular files written
	Bytes        int64               // bytes of blob data
	// What every tag still reaches (the roots of --delete-untagged): what
	// a collector must keep, and all it may keep with a grace of zero.
	LiveRevisions  int // revision links reachable from a tag in their repository
	LiveLayerLinks int // layer links a live manifest of their repository references
	LiveBlobs      int // blobs any live manifest or layer link needs
	LiveBytes      int64
}

// TagCount is the number of tags with a current link.
func (r *Result) TagCount() int {
	n := 0
	for _, ts := range r.Tags {
		n += len(ts)
	}
	return n
}

// Generate writes a tree under root (the registry's rootdirectory) and
// returns what it wrote. root should be empty or absent.
func Generate(root string, c Config) (*Result, error) {
	c, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	w := &writer{root: root}
	res := &Result{Root: root, Tags: map[string][]string{}, RemovedTags: map[string][]string{}}
	live := newTally()
	base, err := writeBaseLayers(w, c)
	if err != nil {
		return nil, err
	}
	if err := writeOrphans(w, c); err != nil {
		return nil, err
	}
	names := repositoryNames(c)
	var mu sync.Mutex
	g := new(errgroup.Group)
	g.SetLimit(c.Jobs)
	for i, name := range names {
		g.Go(func() error {
			rg := &repoGen{c: c, w: w, name: name, base: base,
				rng: rand.New(rand.NewPCG(c.Seed, uint64(i)+1)), live: newTally()}
			if err := rg.run(); err != nil {
				return fmt.Errorf("gen: repository %s: %w", name, err)
			}
			mu.Lock()
			defer mu.Unlock()
			rg.addTo(res, live)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	sort.Strings(names)
	res.Repositories = names
	for _, m := range []map[string][]string{res.Tags, res.RemovedTags} {
		for _, ts := range m {
			sort.Strings(ts)
		}
	}
	res.Blobs, res.Bytes = w.blobCount()
	res.Files = w.files()
	res.LiveBlobs, res.LiveBytes = live.blobCount(), live.bytes()
	if err := fixDirTimes(root); err != nil {
		return nil, err
	}
	return res, nil
}

// repositoryNames draws the names: flat "app00012", grouped
// "team03/app00012", or nested inside the previous flat repository
// "app00011/sub00012". Names are unique and valid registry names.
func repositoryNames(c Config) []string {
	rng := rand.New(rand.NewPCG(c.Seed, 0))
	names := make([]string, c.Repositories)
	prevFlat := ""
	for i := range names {
		switch {
		case rng.Float64() >= c.NestedShare:
			names[i] = fmt.Sprintf("app%05d", i)
			prevFlat = names[i]
		case prevFlat != "" && rng.IntN(3) == 0:
			names[i] = fmt.Sprintf("%s/sub%05d", prevFlat, i)
		default:
			names[i] = fmt.Sprintf("team%02d/app%05d", rng.IntN(20), i)
		}
	}
	return names
}

func writeBaseLayers(w *writer, c Config) ([]layer, error) {
	rng := rand.New(rand.NewPCG(c.Seed, 1<<62))
	base := make([]layer, c.BaseLayers)
	when := c.Now.Add(-2 * c.Age)
	for i := range base {
		l, err := newLayer(rng, c.LayerSize)
		if err != nil {
			return nil, err
		}
		if err := w.blob(l.digest, l.data, when); err != nil {
			return nil, err
		}
		base[i] = l
	}
	return base, nil
}

func writeOrphans(w *writer, c Config) error {
	rng := rand.New(rand.NewPCG(c.Seed, 1<<62+1))
	when := c.Now.Add(-2 * c.Age)
	for range c.OrphanBlobs {
		l, err := newLayer(rng, c.LayerSize)
		if err != nil {
			return err
		}
		if err := w.blob(l.digest, l.data, when); err != nil {
			return err
		}
	}
	return nil
}
