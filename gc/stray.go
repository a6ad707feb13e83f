package gc

import (
	"context"
	"fmt"
	"strings"

	"github.com/regprune/regprune/storage"
)

// sortStray applies gc's policy to the stray entries of the repositories
// directory (storage.Catalog): an opaque one (a symbolic link: the
// registry follows it, regprune never does) refuses the sweep; one
// holding registry data under a name the registry cannot serve is kept
// whole (its names, relative to the repositories directory, are
// returned for keepData); every other one is left alone. None is ever
// deleted. The commands warn of each (the same way in every command).
func (pl *planner) sortStray(stray []storage.Stray) (data []string) {
	for _, s := range stray {
		switch {
		case s.Opaque():
			pl.refuseAnomaly("", storage.Anomaly(s.Path, s.Kind))
		case s.Data:
			data = append(data, strings.TrimPrefix(s.Path, storage.RepositoriesPath()+"/"))
		}
	}
	return data
}

// keepData marks as live everything directory name (below the
// repositories directory) references: the manifests of its tags and
// revisions with all they reach, and its layer links. It is registry data
// the registry cannot serve under that name (a copy, a rename): someone
// may still need it. Marking fails closed as for a repository; nothing in
// it is removed.
func (pl *planner) keepData(ctx context.Context, name string) error {
	r, err := pl.readRepository(ctx, name, false)
	if err != nil {
		return fmt.Errorf("%s: %w", storage.QuoteName(storage.RepositoryPath(name)), err)
	}
	r.keepAll = true
	if err := pl.markRoots(ctx, r); err != nil {
		return err
	}
	pl.mu.Lock()
	defer pl.mu.Unlock()
	for d := range r.live {
		pl.keep(name, d, false)
	}
	for d := range r.blobs {
		pl.keep(name, d, false)
	}
	for _, d := range r.links {
		pl.keep(name, d, false)
	}
	pl.revisions += len(r.revs)
	pl.layerLinks += len(r.links)
	return nil
}

// checkBlobStore refuses a blob store that holds no blob while
// repositories hold revisions or layer links: its volume is not mounted,
// or a restore is half done. Sweeping then would remove every layer link.
func (pl *planner) checkBlobStore() {
	if pl.blobsUnlisted || pl.plan.blobs.len() > 0 || pl.revisions+pl.layerLinks == 0 {
		return
	}
	pl.refuse(Refusal{Kind: RefuseBlobStore,
		Detail: fmt.Sprintf("holds no blob while the repositories hold %d manifest revisions and %d layer links",
			pl.revisions, pl.layerLinks),
		Fix: "mount or restore the blob store (is its volume mounted? a restore unfinished?); gc never sweeps against an empty one"})
}
