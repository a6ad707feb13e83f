package storage

import (
	"context"
	"fmt"
	"strings"
)

// BlobListing is the blob store as listed: the digest of every blob
// directory, sorted; the prefix directories found empty; the entries that
// are no blob directory (a name that is not a digest, or in the wrong
// prefix directory, or a file where a directory belongs), which a caller
// leaves alone.
type BlobListing struct {
	Digests []Digest
	Empty   []string // names of empty prefix directories ("ab")
	Stray   []string // driver paths, sorted
}

// blobPrefixes are the bounds between the 256 prefix directories, "01" to
// "ff": a listing split at them lists each prefix directory in a range of
// its own.
var blobPrefixes = func() []string {
	out := make([]string, 0, 255)
	for b := 1; b < 256; b++ {
		out = append(out, fmt.Sprintf("%02x", b))
	}
	return out
}()

// ListBlobs lists the blob store, its prefix directories concurrently (at
// most jobs at a time). On object storage each prefix directory is one
// range of a listing of every key below blobs/sha256/ (listRanges: about
// one request per 1,000 blobs and one per prefix directory); elsewhere
// the prefix directories are listed one level each. The result does not
// depend on jobs.
func (s *Storage) ListBlobs(ctx context.Context, jobs int) (*BlobListing, error) {
	if s.objects != nil {
		return s.objects.listBlobs(ctx, jobs)
	}
	prefixes, err := s.ListNames(ctx, blobAlgorithm)
	if err != nil {
		return nil, err
	}
	found := make([]BlobListing, len(prefixes))
	err = Each(ctx, len(prefixes), jobs, func(ctx context.Context, i int) error {
		prefix := prefixes[i]
		names, err := s.ListNames(ctx, BlobPrefixPath(prefix))
		if err != nil {
			return err
		}
		if len(names) == 0 {
			found[i].Empty = []string{prefix}
		}
		ds := make([]Digest, 0, len(names))
		for _, n := range names {
			d, err := ParseHex(n)
			if err != nil || n[:2] != prefix {
				found[i].Stray = append(found[i].Stray, BlobPrefixPath(prefix)+"/"+n)
				continue
			}
			ds = append(ds, d)
		}
		found[i].Digests = ds
		return nil
	})
	if err != nil {
		return nil, err
	}
	return joinBlobListings(found), nil
}

// listBlobs is ListBlobs on object storage: key <xx>/<hex>/<anything>
// below blobs/sha256/ is blob <hex> when <hex> is a digest starting with
// <xx>; any other key is (beneath) a stray entry.
func (o *objects) listBlobs(ctx context.Context, jobs int) (*BlobListing, error) {
	found := make([]BlobListing, len(blobPrefixes)+1)
	root := blobAlgorithm + "/"
	err := o.listRanges(ctx, blobAlgorithm, blobPrefixes, jobs, func(r int, p string) {
		l := &found[r]
		rel := strings.TrimPrefix(p, root)
		prefix, rest, ok1 := strings.Cut(rel, "/")
		name, _, ok2 := strings.Cut(rest, "/")
		if d, err := ParseHex(name); err == nil && ok1 && ok2 && name[:2] == prefix {
			if n := len(l.Digests); n == 0 || l.Digests[n-1] != d {
				l.Digests = append(l.Digests, d)
			}
			return
		}
		stray := root + prefix
		if ok1 && prefix != "" {
			stray += "/" + name
		}
		if n := len(l.Stray); n == 0 || l.Stray[n-1] != stray {
			l.Stray = append(l.Stray, stray)
		}
	})
	if err != nil {
		return nil, err
	}
	return joinBlobListings(found), nil
}

// joinBlobListings joins listings of consecutive parts of the blob store,
// in order.
func joinBlobListings(parts []BlobListing) *BlobListing {
	n := 0
	for _, l := range parts {
		n += len(l.Digests)
	}
	out := &BlobListing{Digests: make([]Digest, 0, n)}
	for _, l := range parts {
		out.Digests = append(out.Digests, l.Digests...)
		out.Empty = append(out.Empty, l.Empty...)
		out.Stray = append(out.Stray, l.Stray...)
	}
	return out
}
