package gc

import (
	"context"

	"github.com/regprune/regprune/storage"
)

// listBlobs lists the blob store: the prefix directories in parallel, the
// digests from directory names, nothing stat-ed. No digest is kept yet.
func (pl *planner) listBlobs(ctx context.Context) (*blobStore, error) {
	var prefixes []string
	err := pl.io(ctx, func() (err error) {
		prefixes, err = pl.st.ListNames(ctx, storage.BlobAlgorithmPath())
		return err
	})
	if err != nil {
		return nil, err
	}
	found := make([][]storage.Digest, len(prefixes))
	err = storage.Each(ctx, len(prefixes), pl.opts.Jobs, func(ctx context.Context, i int) error {
		prefix := prefixes[i]
		var names []string
		err := pl.io(ctx, func() (err error) {
			names, err = pl.st.ListNames(ctx, storage.BlobPrefixPath(prefix))
			return err
		})
		if err != nil {
			return err
		}
		if len(names) == 0 {
			pl.mu.Lock()
			pl.plan.emptyPrefixes = append(pl.plan.emptyPrefixes, prefix)
			pl.mu.Unlock()
		}
		ds := make([]storage.Digest, 0, len(names))
		for _, n := range names {
			d, err := storage.ParseHex(n)
			if err != nil || n[:2] != prefix {
				pl.warnf("blob store: %s/%s is not a blob directory; left alone", storage.BlobPrefixPath(prefix), n)
				continue
			}
			ds = append(ds, d)
		}
		found[i] = ds
		return nil
	})
	if err != nil {
		return nil, err
	}
	n := 0
	for _, ds := range found {
		n += len(ds)
	}
	all := make([]storage.Digest, 0, n)
	for _, ds := range found {
		all = append(all, ds...)
	}
	return newBlobStore(all), nil
}

// planBlobs stats the blobs nothing keeps (only those) for their size and
// age; those written within the grace period are kept.
func (pl *planner) planBlobs(ctx context.Context) error {
	blobs := pl.plan.blobs
	candidates := blobs.unkept()
	infos, err := pl.st.StatLeaves(ctx, len(candidates), pl.opts.Jobs, func(i int) storage.Leaf {
		return storage.BlobLeaf(blobs.digests[candidates[i]])
	})
	if err != nil {
		return err
	}
	p := pl.plan
	p.single = make([][]string, len(p.repos))
	for k, name := range p.repos {
		p.single[k] = []string{name}
	}
	out := make([]blobRemoval, 0, len(candidates))
	for k, i := range candidates {
		if fi := infos[k]; fi.Exists && pl.opts.recent(fi.ModTime) {
			p.KeptRecent++
			blobs.kept[i] = true
			continue
		}
		out = append(out, blobRemoval{i: i, size: infos[k].Size})
	}
	p.blobRemovals = out
	return nil
}
