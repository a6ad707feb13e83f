package storage

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Leaf is one of the directories the registry writes holding a single
// file, named by a digest: a manifest revision, a layer link or a tag
// history entry (each holding LinkFile), or a blob (holding DataFile).
// gc stats and deletes them by the hundred thousand; StatLeaves and
// DeleteLeaves do it in bulk where the storage allows (one listing and
// batched deletes on object storage) and one by one otherwise.
type Leaf struct {
	Dir  string // the leaf's directory
	File string // the one file in it
	// Root is the directory whose listing finds it and its neighbours:
	// the repository's revisions, layer links or tags, or the blob
	// store's prefix directory.
	Root string
}

// RevisionLeaf is manifest revision d of repo.
func RevisionLeaf(repo string, d Digest) Leaf {
	return Leaf{Dir: RevisionPath(repo, d), File: LinkFile, Root: RevisionsPath(repo)}
}

// LayerLinkLeaf is repo's layer link to blob d.
func LayerLinkLeaf(repo string, d Digest) Leaf {
	return Leaf{Dir: LayerLinkDirPath(repo, d), File: LinkFile, Root: LayerLinksPath(repo)}
}

// TagIndexLeaf is the entry of manifest d in the history of repo's tag.
func TagIndexLeaf(repo, tag string, d Digest) Leaf {
	return Leaf{Dir: TagIndexEntryPath(repo, tag, d), File: LinkFile, Root: TagsPath(repo)}
}

// TagCurrentLeaf is the current link of repo's tag (its directory
// "current"), whose modification time is the tag's last push.
func TagCurrentLeaf(repo, tag string) Leaf {
	return Leaf{Dir: TagPath(repo, tag) + "/" + CurrentDir, File: LinkFile, Root: TagsPath(repo)}
}

// BlobLeaf is blob d's directory in the blob store.
func BlobLeaf(d Digest) Leaf {
	h := hexOf(d)
	return Leaf{Dir: BlobPath(d), File: DataFile, Root: blobAlgorithm + "/" + string(h[:2])}
}

// leafBatch is a driver that stats and deletes leaves in bulk: the
// filesystem driver, whose workers each take a contiguous range of the
// (sorted) leaves and keep the directory holding their current leaves
// open, so that a path is resolved once a directory (one openat2) rather
// than once a leaf; each leaf is then reached by one name below it.
type leafBatch interface {
	statLeaves(ctx context.Context, n, jobs int, leaf func(int) Leaf) ([]LeafInfo, error)
	deleteLeaves(ctx context.Context, n, jobs int, leaf func(int) Leaf, done func(int)) error
}

// LeafInfo is what StatLeaves found of a leaf: the size and modification
// time of its file or, when the file is missing, of its directory (size
// 0; on object storage, which has no directories, a zero time).
type LeafInfo struct {
	Exists  bool
	Size    int64
	ModTime time.Time
}

// StatLeaves returns what is known of leaf(i) for every i in [0, n),
// making at most jobs calls at a time. A missing leaf is not an error: its
// LeafInfo says it does not exist.
func (s *Storage) StatLeaves(ctx context.Context, n, jobs int, leaf func(int) Leaf) ([]LeafInfo, error) {
	if s.objects != nil && n > 1 {
		return s.objects.statLeaves(ctx, n, jobs, leaf)
	}
	if lb, ok := s.Driver.(leafBatch); ok && n > 1 {
		out, err := lb.statLeaves(ctx, n, jobs, leaf)
		return out, wrapLeafError(err)
	}
	out := make([]LeafInfo, n)
	err := Each(ctx, n, jobs, func(ctx context.Context, i int) error {
		l := leaf(i)
		found, err := s.statInto(ctx, l.Dir+"/"+l.File, &out[i])
		if err != nil || found {
			return err
		}
		_, err = s.statInto(ctx, l.Dir, &out[i])
		return err
	})
	return out, err
}

// wrapLeafError is wrapDriver for the errors of a leafBatch, which name
// their path already.
func wrapLeafError(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("leaves: %w", err)
}

// statInto stats p into info; false, nil when p does not exist.
func (s *Storage) statInto(ctx context.Context, p string, info *LeafInfo) (bool, error) {
	fi, err := s.Stat(ctx, p)
	switch {
	case err == nil:
		*info = LeafInfo{Exists: true, Size: fi.Size(), ModTime: fi.ModTime()}
		return true, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	default:
		return false, err
	}
}

// DeleteLeaves removes leaf(i), with everything beneath it, for every i in
// [0, n), and calls done(i) once it is gone (also when it was gone
// already), from any goroutine. On object storage the keys are listed per
// root and deleted a thousand to a request; elsewhere each leaf is one
// DeleteLeaf, every worker taking a contiguous range of the leaves (given
// sorted, they then work in different directories). It stops at the first
// error or when ctx is done (returning ctx's error): what was reported done
// is gone, and deleting again is safe.
func (s *Storage) DeleteLeaves(ctx context.Context, n, jobs int, leaf func(int) Leaf, done func(int)) error {
	if s.objects != nil && n > 1 {
		return s.objects.deleteLeaves(ctx, n, jobs, leaf, done)
	}
	if lb, ok := s.Driver.(leafBatch); ok && n > 1 {
		return wrapLeafError(lb.deleteLeaves(ctx, n, jobs, leaf, done))
	}
	return EachInRanges(ctx, n, jobs, func(ctx context.Context, i int) error {
		l := leaf(i)
		if err := s.deleteLeaf(ctx, l.Dir, l.File); err != nil {
			return err
		}
		done(i)
		return nil
	})
}

// TagHistories lists the history (index/ entries, as digests) of each of
// repo's tags, sorted: the entries whose link is there (see
// TagHistoryLinks).
func (s *Storage) TagHistories(ctx context.Context, repo string, tags []string, jobs int) (hist [][]Digest, errs []error, err error) {
	links, errs, err := s.TagHistoryLinks(ctx, repo, tags, jobs)
	hist = make([][]Digest, len(links))
	for i := range links {
		hist[i] = links[i].Linked
	}
	return hist, errs, err
}

// TagHistoryLinks lists the history (index/ entries) of each of repo's
// tags as ListLinks does: on object storage with one listing of the
// repository's tags, elsewhere one ListLinks per tag. A tag whose history
// holds a name that is not a digest gets an error wrapping ErrBadDigest
// in errs (the others are still listed); other errors end it.
func (s *Storage) TagHistoryLinks(ctx context.Context, repo string, tags []string, jobs int) (hist []Links, errs []error, err error) {
	hist, errs = make([]Links, len(tags)), make([]error, len(tags))
	if s.objects != nil && len(tags) > 1 {
		return hist, errs, s.objects.tagHistories(ctx, repo, tags, hist, errs)
	}
	err = Each(ctx, len(tags), jobs, func(ctx context.Context, i int) error {
		l, err := s.ListLinks(ctx, TagIndexPath(repo, tags[i]))
		if errors.Is(err, ErrBadDigest) {
			errs[i] = err
			return nil
		}
		hist[i] = l
		return err
	})
	return hist, errs, err
}
