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
// blobs of every manifest reached. What is absent is a warning; a manifest
// that exists but cannot be read or interpreted is an error (fail closed).
func (pl *planner) mark(ctx context.Context, r *repoState, d storage.Digest) error {
	stack := []storage.Digest{d}
	for root := true; len(stack) > 0; root = false {
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if _, ok := r.live[d]; ok {
			continue
		}
		r.live[d] = struct{}{}
		if err := pl.checkRevision(ctx, r, d, root); err != nil {
			return err
		}
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

// checkRevision warns when manifest d, reached in repository r, has no
// revision link there (gc follows it anyway and keeps what it references:
// the registry's DELETE removes the link and leaves the directory). Roots
// come from directory names; children of indexes are checked with a Stat
// of their link, which is all that pulls by digest need (on object
// storage, with what the listing of the revisions said of it).
func (pl *planner) checkRevision(ctx context.Context, r *repoState, d storage.Digest, root bool) error {
	if _, ok := r.revs[d]; ok && root {
		return nil
	}
	if r.revLinks != nil { // listed with their links
		if !r.revLinks.Linked(d) {
			pl.warnf("repository %s: manifest %s has no revision link in this repository; gc follows it anyway", r.name, d)
		}
		return nil
	}
	fi, err := pl.statFirst(ctx, storage.RevisionLinkPath(r.name, d))
	if err != nil {
		return fmt.Errorf("repository %s: %w", r.name, err)
	}
	if fi == nil {
		pl.warnf("repository %s: manifest %s has no revision link in this repository; gc follows it anyway", r.name, d)
	}
	return nil
}
