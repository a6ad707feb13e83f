package gc

import (
	"context"
	"errors"
	"fmt"

	"github.com/docker/distribution/registry/storage/driver"
	"github.com/regprune/regprune/storage"
)

// mark adds manifest d and everything it reaches to the repository's live
// set: children of indexes at any depth, and the config, layers and other
// blobs of every manifest reached. A child whose revision link is not in
// the repository is not followed: the registry answers 404 for it there
// (see checkRevision). What else is absent is a warning; a manifest that
// exists but cannot be read or interpreted is an error (fail closed).
func (pl *planner) mark(ctx context.Context, r *repoState, d storage.Digest) error {
	stack := []storage.Digest{d}
	for root := true; len(stack) > 0; root = false {
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if _, ok := r.live[d]; ok {
			continue
		}
		follow, err := pl.checkRevision(ctx, r, d, root)
		if err != nil {
			return err
		}
		if !follow {
			continue
		}
		r.live[d] = struct{}{}
		m, err := pl.manifest(ctx, r, d)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			pl.warnf("repository %s: manifest %s: blob data missing", r.name, d)
			continue
		case err != nil:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("repository %s: %w (gc cannot know what it keeps alive; nothing was deleted)", r.name, err)
		}
		for _, b := range m.Blobs {
			r.blobs[b.Digest] = struct{}{}
		}
		for _, c := range m.Children {
			stack = append(stack, c.Digest)
		}
	}
	return nil
}

// statFirst stats the first of paths that exists; nil when none does.
func (pl *planner) statFirst(ctx context.Context, paths ...string) (fi driver.FileInfo, err error) {
	for _, p := range paths {
		err = pl.io(ctx, func() (err error) {
			fi, err = pl.st.Stat(ctx, p)
			return err
		})
		if err == nil {
			return fi, nil
		}
		if !errors.Is(err, storage.ErrNotFound) {
			return nil, err
		}
	}
	return nil, nil
}

// checkRevision says whether mark follows manifest d, reached in
// repository r: yes when its revision link is there (listed, or written
// since the listing: a Stat of the link), or malformed (kept, reported).
// A root (a tag's current manifest, a revision within the grace period,
// a referrer) without its link is followed all the same, with a warning:
// a tag names it. A child of an index without its link is not: it was
// deleted by digest through the registry's API (which removes the link
// and leaves the index), and the registry answers 404 for it in this
// repository, as upstream's garbage-collect treats it
// (TestDeleteManifestIndexWithDanglingReferences): its layers and layer
// links go unless something else here references them.
func (pl *planner) checkRevision(ctx context.Context, r *repoState, d storage.Digest, root bool) (bool, error) {
	if _, ok := r.revs[d]; ok {
		return true, nil
	}
	if _, ok := r.malformedRevs[d]; ok {
		return true, nil
	}
	fi, err := pl.statFirst(ctx, storage.RevisionLinkPath(r.name, d))
	if ae, ok := storage.IsAnomaly(err); ok {
		pl.malformed(r.name, LeafRevision, "", storage.BadLink{Digest: d, Err: ae})
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("repository %s: %w", r.name, err)
	}
	switch {
	case fi != nil:
		return true, nil
	case root:
		pl.warnf("repository %s: manifest %s has no revision link in this repository; gc follows it anyway", r.name, d)
		return true, nil
	default:
		pl.opts.Log.Debug("gc: index child without revision link: not followed", "repository", r.name, "digest", d)
		return false, nil
	}
}
