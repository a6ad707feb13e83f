package scan

import (
	"context"

	"github.com/regprune/regprune/storage"
	"golang.org/x/sync/errgroup"
)

// readBlobStore lists the blob store (256 prefix directories, names only)
// and finds the orphans: blobs in no repository's layer links nor
// revisions. Only orphans whose size no manifest gave are stat-ed.
func (in *inventory) readBlobStore(ctx context.Context) error {
	var prefixes []string
	err := in.io(ctx, func() (err error) {
		prefixes, err = in.st.ListNames(ctx, storage.BlobAlgorithmPath())
		return err
	})
	if err != nil {
		return err
	}
	bar := in.bar("listing blobs", int64(len(prefixes)), "directories")
	defer bar.Done()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(in.jobs)
	for _, p := range prefixes {
		g.Go(func() error {
			defer bar.Add(1)
			return in.readBlobPrefix(gctx, p)
		})
	}
	return g.Wait()
}

func (in *inventory) readBlobPrefix(ctx context.Context, prefix string) error {
	var ds []storage.Digest
	err := in.io(ctx, func() (err error) {
		ds, err = in.st.ListDigests(ctx, storage.BlobPrefixPath(prefix))
		return err
	})
	if err != nil {
		return err
	}
	var orphans []storage.Digest
	known := make(map[storage.Digest]int64)
	in.mu.Lock()
	in.inv.Totals.Blobs += len(ds)
	for _, d := range ds {
		b := in.blobs[d]
		if b != nil && b.linked {
			continue
		}
		orphans = append(orphans, d)
		if b != nil && b.size >= 0 {
			known[d] = b.size
		}
	}
	in.mu.Unlock()
	var bytes int64
	for _, d := range orphans {
		size, ok := known[d]
		if !ok {
			if size, err = in.blobSize(ctx, d); err != nil {
				return err
			}
		}
		bytes += size
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.inv.Totals.OrphanBlobs += len(orphans)
	in.inv.Totals.OrphanBytes += bytes
	return nil
}
