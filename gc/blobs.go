package gc

import (
	"context"

	"github.com/regprune/regprune/storage"
)

// listBlobs lists the blob store (storage.ListBlobs: the prefix
// directories in parallel), the digests from directory names, nothing
// stat-ed. A symbolic link as the blob store, a prefix or a blob
// directory refuses the sweep (the registry serves what it points to;
// regprune cannot know what that is); other entries the registry never
// writes there are warned of and left alone.
func (pl *planner) listBlobs(ctx context.Context) (*blobStore, error) {
	var l *storage.BlobListing
	err := pl.io(ctx, func() (err error) {
		l, err = pl.st.ListBlobs(ctx, pl.opts.Jobs, pl.plan.refs.Listed)
		return err
	})
	if ae, ok := storage.IsAnomaly(err); ok {
		pl.refuseAnomaly("", ae)
		pl.blobsUnlisted = true
		return newBlobStore(nil), nil
	}
	if err != nil {
		return nil, err
	}
	for _, ae := range l.Anomalies {
		pl.refuseAnomaly("", ae)
	}
	for _, p := range l.Stray {
		pl.warnf("blob store: %s; left alone", p)
	}
	if pl.st.StampsListed() {
		pl.plan.refs.ListingDone()
	}
	pl.plan.emptyPrefixes = l.Empty
	blobs := newBlobStore(l.Digests)
	pl.plan.refs.UseBlobs(blobs.digests) // the table of what this run reads: no map of every digest
	return blobs, nil
}

// statChunk is how many blobs planBlobs stats at once: their LeafInfos
// (40 bytes each) are held only that long. A chunk of the sorted blobs
// spans neighbouring prefix directories, so that on object storage a
// chunk costs at most one listing more than the blobs themselves.
var statChunk = 1 << 16

// planBlobs stats the blobs nothing keeps (only those) for their size and
// age; those written within the grace period are kept.
func (pl *planner) planBlobs(ctx context.Context) error {
	blobs := pl.plan.blobs
	candidates := blobs.unkept()
	p := pl.plan
	p.single = make([][]string, len(p.repos))
	for k, name := range p.repos {
		p.single[k] = []string{name}
	}
	out := make([]blobRemoval, 0, len(candidates))
	for len(candidates) > 0 {
		chunk := candidates[:min(len(candidates), statChunk)]
		candidates = candidates[len(chunk):]
		infos, err := pl.st.StatLeaves(ctx, len(chunk), pl.opts.Jobs, func(i int) storage.Leaf {
			return storage.BlobLeaf(blobs.digests[chunk[i]])
		})
		if err != nil {
			return err
		}
		for k, i := range chunk {
			if fi := infos[k]; fi.Exists && pl.opts.recent(fi.ModTime) {
				p.KeptRecent++
				blobs.kept[i] = true
				continue
			}
			out = append(out, blobRemoval{i: i, size: infos[k].Size})
		}
	}
	p.blobRemovals = out
	return nil
}
