package gc

import (
	"context"
	"slices"

	"github.com/regprune/regprune/storage"
)

// listBlobs lists the blob store: the prefix directories in parallel, the
// digests from directory names, nothing stat-ed. No digest is kept yet.
// A symbolic link as the blob store, a prefix or a blob directory refuses
// the sweep (the registry serves what it points to; regprune cannot
// know what that is); other entries the registry never writes there are
// warned of and left alone.
func (pl *planner) listBlobs(ctx context.Context) (*blobStore, error) {
	var prefixes []storage.Entry
	err := pl.io(ctx, func() (err error) {
		prefixes, err = pl.st.ListEntries(ctx, storage.BlobAlgorithmPath())
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
	found := make([][]storage.Digest, len(prefixes))
	err = storage.Each(ctx, len(prefixes), pl.opts.Jobs, func(ctx context.Context, i int) error {
		if !pl.blobEntry(storage.BlobAlgorithmPath(), prefixes[i], "blob prefix directory") {
			return nil
		}
		prefix := prefixes[i].Name
		var es []storage.Entry
		err := pl.io(ctx, func() (err error) {
			es, err = pl.st.ListEntries(ctx, storage.BlobPrefixPath(prefix))
			return err
		})
		if err != nil {
			return err
		}
		if len(es) == 0 && blobPrefix(prefix) {
			pl.mu.Lock()
			pl.plan.emptyPrefixes = append(pl.plan.emptyPrefixes, prefix)
			pl.mu.Unlock()
		}
		ds := make([]storage.Digest, 0, len(es))
		for _, e := range es {
			if !pl.blobEntry(storage.BlobPrefixPath(prefix), e, "blob directory") {
				continue
			}
			d, err := storage.ParseHex(e.Name)
			if err != nil || e.Name[:2] != prefix {
				pl.warnf("blob store: %s/%s is not a blob directory; left alone", storage.BlobPrefixPath(prefix), e.Name)
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

// blobPrefix reports whether name is a prefix directory's: two lower-case
// hex digits. Only those, found empty, are removed with the blobs.
func blobPrefix(name string) bool {
	hexDigit := func(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }
	return len(name) == 2 && hexDigit(name[0]) && hexDigit(name[1])
}

// blobEntry says whether entry e of blob store directory dir is a
// directory to go on with. A symbolic link refuses the sweep; anything
// else that is not an addressable directory is warned of and left alone.
func (pl *planner) blobEntry(dir string, e storage.Entry, what string) bool {
	p := dir + "/" + e.Name
	switch {
	case e.Kind == storage.KindSymlink:
		pl.refuseAnomaly("", storage.Anomaly(p, e.Kind))
		return false
	case !e.Addressable() || (e.Kind != storage.KindDir && e.Kind != storage.KindUnknown):
		pl.warnf("blob store: %s (%s) is not a %s; left alone", storage.QuoteName(p), e.Kind, what)
		return false
	}
	return true
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
