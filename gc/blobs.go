package gc

import (
	"context"
	"sync"

	"github.com/regprune/regprune/storage"
	"golang.org/x/sync/errgroup"
)

// listBlobs lists the blob store: the prefix directories in parallel, the
// digests from directory names, nothing stat-ed. Every digest maps to
// false (not yet known to be kept).
func (pl *planner) listBlobs(ctx context.Context) (map[storage.Digest]bool, error) {
	var prefixes []string
	err := pl.io(ctx, func() (err error) {
		prefixes, err = pl.st.ListNames(ctx, storage.BlobAlgorithmPath())
		return err
	})
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	blobs := make(map[storage.Digest]bool)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(pl.opts.Jobs)
	for _, prefix := range prefixes {
		g.Go(func() error {
			var names []string
			err := pl.io(gctx, func() (err error) {
				names, err = pl.st.ListNames(gctx, storage.BlobPrefixPath(prefix))
				return err
			})
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			if len(names) == 0 {
				pl.plan.emptyPrefixes = append(pl.plan.emptyPrefixes, prefix)
			}
			for _, n := range names {
				d, err := storage.ParseHex(n)
				if err != nil || d.Hex()[:2] != prefix {
					pl.warnf("blob store: %s/%s is not a blob directory; left alone", storage.BlobPrefixPath(prefix), n)
					continue
				}
				blobs[d] = false
			}
			return nil
		})
	}
	return blobs, g.Wait()
}

// planBlobs stats the blobs nothing keeps (only those) for their size and
// age; those written within the grace period are kept.
func (pl *planner) planBlobs(ctx context.Context) error {
	var candidates []storage.Digest
	for d, kept := range pl.plan.blobs {
		if !kept {
			candidates = append(candidates, d)
		}
	}
	out := make([]BlobRemoval, len(candidates))
	recent := make([]bool, len(candidates))
	err := storage.Each(ctx, len(candidates), pl.opts.Jobs, func(ctx context.Context, i int) error {
		d := candidates[i]
		out[i] = BlobRemoval{Digest: d, Repositories: sortedRepos(pl.attrib[d])}
		fi, err := pl.statFirst(ctx, storage.BlobDataPath(d), storage.BlobPath(d))
		if err != nil || fi == nil {
			return err
		}
		recent[i] = pl.opts.recent(fi.ModTime())
		if !fi.IsDir() {
			out[i].Size = fi.Size()
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, b := range out {
		if recent[i] {
			pl.plan.KeptRecent++
			pl.plan.blobs[b.Digest] = true
			continue
		}
		pl.plan.Blobs = append(pl.plan.Blobs, b)
	}
	return nil
}
