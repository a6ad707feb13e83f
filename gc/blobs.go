package gc

import (
	"context"
	"slices"

	"github.com/regprune/regprune/storage"
)

// listBlobs lists the blob store: the prefix directories in parallel, the
// digests from directory names, nothing stat-ed (on object storage the
// listing gives the stamps of the blobs the manifest reference cache
// holds, for free). No digest is kept yet.
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
			names, err = pl.st.ListBlobPrefix(ctx, prefix, pl.plan.refs.Listed)
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
	if pl.st.StampsListed() {
		pl.plan.refs.ListingDone()
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
	candidates := pl.plan.blobs.unkept()
	infos, err := pl.st.StatLeaves(ctx, len(candidates), pl.opts.Jobs, func(i int) storage.Leaf { return storage.BlobLeaf(candidates[i]) })
	if err != nil {
		return err
	}
	pl.owners = make([][]string, len(pl.repos))
	for k, name := range pl.repos {
		pl.owners[k] = []string{name}
	}
	out := make([]BlobRemoval, 0, len(candidates))
	for i, d := range candidates {
		if fi := infos[i]; fi.Exists && pl.opts.recent(fi.ModTime) {
			pl.plan.KeptRecent++
			pl.plan.blobs.keep(d)
			continue
		}
		out = append(out, BlobRemoval{Digest: d, Size: infos[i].Size, Repositories: pl.ownerNames(d)})
	}
	pl.plan.Blobs = out
	return nil
}

// ownerNames is the sorted names of the repositories blob d is attributed
// to (see blobStore.attribute); one repository's list is shared.
func (pl *planner) ownerNames(d storage.Digest) []string {
	ks := pl.plan.blobs.owners(d)
	switch len(ks) {
	case 0:
		return nil
	case 1:
		return pl.owners[ks[0]]
	}
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = pl.repos[k]
	}
	slices.Sort(names)
	return names
}
