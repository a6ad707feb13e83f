package gc

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
	"golang.org/x/sync/errgroup"
)

// planLayerLinks returns the repository's layer links that no live
// manifest of it references (as a manifest or as one of its blobs) and
// that were not written within the grace period.
func (pl *planner) planLayerLinks(ctx context.Context, r *repoState) ([]LayerLinkRemoval, error) {
	var candidates []storage.Digest
	for _, d := range r.links {
		_, blob := r.blobs[d]
		_, man := r.live[d]
		if !blob && !man {
			candidates = append(candidates, d)
		}
	}
	fresh, err := pl.recentLeaves(ctx, candidates, func(d storage.Digest) storage.Leaf { return storage.LayerLinkLeaf(r.name, d) })
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w", r.name, err)
	}
	r.keptLinks = len(fresh)
	kept := make(digestSet, len(fresh))
	for _, d := range fresh {
		kept[d] = struct{}{}
	}
	var out []LayerLinkRemoval
	for _, d := range candidates {
		if _, ok := kept[d]; !ok {
			out = append(out, LayerLinkRemoval{Repository: r.name, Digest: d})
		}
	}
	return out, nil
}

// planUploads returns the upload sessions started more than
// UploadsOlderThan ago and not written to within the grace period.
func (pl *planner) planUploads(ctx context.Context, r *repoState) ([]UploadRemoval, error) {
	out := make([]*UploadRemoval, len(r.uploads))
	kept := make([]bool, len(r.uploads))
	g, gctx := errgroup.WithContext(ctx)
	for i, id := range r.uploads {
		g.Go(func() error {
			started, modified, err := pl.uploadTimes(gctx, r.name, id)
			if err != nil || started.IsZero() || pl.opts.Now.Sub(started) < pl.opts.UploadsOlderThan {
				return err
			}
			if pl.opts.recent(modified) {
				kept[i] = true
				return nil
			}
			out[i] = &UploadRemoval{Repository: r.name, ID: id, Started: started}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("repository %s: uploads: %w", r.name, err)
	}
	var res []UploadRemoval
	for i, u := range out {
		if kept[i] {
			r.keptUploads++
		}
		if u != nil {
			res = append(res, *u)
		}
	}
	return res, nil
}

// readUploads lists the repository's upload sessions (storage.Uploads):
// directories named like the registry's upload ids, directly in a real
// _uploads. Anything else there, or an _uploads that is a symbolic link,
// is left alone, with a warning, and keeps the repository.
func (pl *planner) readUploads(ctx context.Context, r *repoState) error {
	ids, stray, err := pl.st.Uploads(ctx, r.name)
	if ae, ok := storage.IsAnomaly(err); ok {
		pl.warnf("repository %s: %v; its upload sessions are left alone", r.name, ae)
		r.otherUploads = 1
		return nil
	}
	if err != nil {
		return err
	}
	r.uploads, r.otherUploads = ids, len(stray)
	if len(stray) > 0 {
		pl.warnf("repository %s: %d entries of %s are not upload sessions (%s: %s); left alone",
			r.name, len(stray), storage.UploadsDir, storage.Base(stray[0].Path), stray[0].Reason)
	}
	return nil
}

// uploadTimes reads when an upload session started (its startedat file,
// which the registry writes first: a session without a readable one is
// never removed, as the registry's own upload purging keeps it) and when
// its data was last written. Both are zero when the session vanished
// meanwhile or has no startedat.
func (pl *planner) uploadTimes(ctx context.Context, repo, id string) (started, modified time.Time, err error) {
	var b []byte
	err = pl.io(ctx, func() (err error) {
		b, err = pl.st.ReadFile(ctx, storage.UploadStartedAtPath(repo, id), storage.StartedAtLimit)
		return err
	})
	if errors.Is(err, storage.ErrNotFound) {
		if dir, serr := pl.statFirst(ctx, storage.UploadPath(repo, id)); serr != nil || dir == nil {
			return time.Time{}, time.Time{}, serr // gone meanwhile, or unreadable
		}
	}
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrTooLarge) || errors.Is(err, storage.ErrAnomaly) {
			pl.warnf("repository %s: upload session %s has no readable %s (%v); kept", repo, id, storage.StartedAt, err)
			return time.Time{}, time.Time{}, nil
		}
		return time.Time{}, time.Time{}, err
	}
	if started, err = scan.ParseStartedAt(b); err != nil {
		pl.warnf("repository %s: upload session %s: %v; kept", repo, id, err)
		return time.Time{}, time.Time{}, nil
	}
	fi, err := pl.statFirst(ctx, storage.UploadPath(repo, id)+"/"+storage.DataFile, storage.UploadPath(repo, id))
	if err != nil || fi == nil {
		return time.Time{}, time.Time{}, err
	}
	return started, fi.ModTime(), nil
}

// planHistory returns the tag index/ entries that name a removed revision
// or one whose link is gone (debris, and not live), and the entries
// without their own link (debris). The histories are listed only when the
// repository loses revisions or has revision debris (the registry's
// delete by digest leaves both): a listing per tag on every run would
// cost more than all of the rest.
func (pl *planner) planHistory(ctx context.Context, r *repoState) ([]HistoryRemoval, []DebrisRemoval, error) {
	if len(r.removedRevs) == 0 && len(r.revDebris) == 0 {
		return nil, nil, nil
	}
	gone := make(digestSet, len(r.removedRevs)+len(r.revDebris))
	for d := range r.removedRevs {
		gone[d] = struct{}{}
	}
	for _, d := range r.revDebris {
		if _, live := r.live[d]; !live {
			gone[d] = struct{}{}
		}
	}
	names := make([]string, len(r.tags))
	for i, t := range r.tags {
		names[i] = t.Name
	}
	var hist []storage.Links
	var errs []error
	err := pl.io(ctx, func() (err error) {
		hist, errs, err = pl.st.TagHistoryLinks(ctx, r.name, names, pl.opts.Jobs)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("repository %s: %w", r.name, err)
	}
	var out []HistoryRemoval
	var debris []DebrisRemoval
	for i, l := range hist {
		if errs[i] != nil {
			pl.warnf("repository %s: tag %s: history: %v", r.name, names[i], errs[i])
		}
		for _, d := range l.Linked {
			if _, ok := gone[d]; ok {
				out = append(out, HistoryRemoval{Repository: r.name, Tag: names[i], Digest: d})
			}
		}
		for _, d := range l.Debris {
			debris = append(debris, DebrisRemoval{Repository: r.name, Kind: LeafTagHistory, Tag: names[i], Digest: d})
		}
		for _, b := range l.Malformed {
			pl.malformed(r.name, LeafTagHistory, names[i], b)
		}
	}
	return out, debris, nil
}
