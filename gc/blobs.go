package gc

import (
	"context"
	"slices"

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
	candidates := pl.plan.blobs.unkept()
	out := make([]BlobRemoval, len(candidates))
	recent := make([]bool, len(candidates))
	pl.owners = make([][]string, len(pl.repos))
	for k, name := range pl.repos {
		pl.owners[k] = []string{name}
	}
	err := storage.Each(ctx, len(candidates), pl.opts.Jobs, func(ctx context.Context, i int) error {
		d := candidates[i]
		out[i] = BlobRemoval{Digest: d, Repositories: pl.ownerNames(d)}
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
	kept := out[:0] // filtered in place
	for i, b := range out {
		if recent[i] {
			pl.plan.KeptRecent++
			pl.plan.blobs.keep(b.Digest)
			continue
		}
		kept = append(kept, b)
	}
	pl.plan.Blobs = kept
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
