package gc

import (
	"context"

	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
)

// loadRefCache reads the manifest reference cache (scan.RefCache) the
// plan reads manifests through: a manifest whose blob has the stamp its
// entry was read with is not read again. A cache that cannot be used is
// an empty one, said in the debug log.
func (pl *planner) loadRefCache(ctx context.Context) {
	if pl.shared != nil {
		if refs := pl.shared.RefCache(); refs != nil {
			// Shared with the caller (prune, scan), attached before it
			// read anything: it knows every manifest read through it.
			pl.plan.refs = refs
			return
		}
	}
	refs, why := scan.LoadRefCache(ctx, pl.st)
	if why != nil {
		pl.opts.Log.Debug("gc: "+why.Error(), "cache", storage.StateFilePath(scan.RefCacheName))
	}
	pl.plan.refs = refs
	if pl.shared != nil {
		pl.shared.UseRefCache(refs)
	}
	pl.opts.Log.Debug("gc: manifest reference cache", "entries", refs.Len())
}

// saveRefCache writes the manifest reference cache after a real run:
// what the plan read or confirmed, for the blobs the blob store still
// holds after the sweep. A failure is a warning in the log: the cache is
// never needed, and a cache written in part is never trusted.
func (x *executor) saveRefCache(ctx context.Context) {
	refs := x.p.refs
	if refs == nil {
		return
	}
	n, err := refs.Save(ctx, func(d storage.Digest) bool { return x.p.blobs.index(d) >= 0 && !x.p.blobs.isRemoved(d) })
	hits, reads := refs.Stats()
	if err != nil {
		x.opts.Log.Warn("gc: the manifest reference cache was not saved (the next run reads the manifests again): " + err.Error())
		return
	}
	x.opts.Log.Debug("gc: manifest reference cache saved", "entries", n, "hits", hits, "reads", reads)
}
