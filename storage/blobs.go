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
// leaves alone; the symbolic links found as prefix or blob directories
// (never followed), for which a caller refuses to sweep.
type BlobListing struct {
	Digests   []Digest
	Empty     []string // names of empty prefix directories ("ab")
	Stray     []string // driver paths, sorted, with what they are
	Anomalies []*AnomalyError
}

// blobBounds splits the 256 prefix directories into n ranges of about
// as many each (1 <= n <= 256): the names of the prefix directories that
// begin ranges 1 to n-1 ("80" for two). Digests are uniform, so the
// ranges hold about as many blobs each.
func blobBounds(n int) []string {
	n = max(1, min(n, 256))
	out := make([]string, 0, n-1)
	for i := 1; i < n; i++ {
		out = append(out, fmt.Sprintf("%02x", i*256/n))
	}
	return out
}

// ListBlobs lists the blob store, its prefix directories concurrently (at
// most jobs at a time). On object storage the keys below blobs/sha256/
// are listed in jobs ranges (listRanges: about one request per 1,000
// blobs, and at most one more per range), and stamp, when not nil, is
// called with the stamp (size and ETag) of every blob's data, from any
// goroutine (StampsListed); elsewhere the prefix directories are listed
// one level each, with the kind of every entry. A symbolic link as the
// blob store itself is an *AnomalyError. The result does not depend on
// jobs.
func (s *Storage) ListBlobs(ctx context.Context, jobs int, stamp func(Digest, BlobStamp)) (*BlobListing, error) {
	if s.objects != nil {
		return s.objects.listBlobs(ctx, jobs, stamp)
	}
	prefixes, err := s.ListEntries(ctx, blobAlgorithm)
	if err != nil {
		return nil, err
	}
	found := make([]BlobListing, len(prefixes))
	err = Each(ctx, len(prefixes), jobs, func(ctx context.Context, i int) error {
		l := &found[i]
		if !l.directory(blobAlgorithm, prefixes[i], "blob prefix directory") {
			return nil
		}
		prefix := prefixes[i].Name
		es, err := s.ListEntries(ctx, BlobPrefixPath(prefix))
		if err != nil {
			return err
		}
		if len(es) == 0 && blobPrefixName(prefix) {
			l.Empty = []string{prefix}
		}
		l.Digests = make([]Digest, 0, len(es))
		for _, e := range es {
			if !l.directory(BlobPrefixPath(prefix), e, "blob directory") {
				continue
			}
			d, err := ParseHex(e.Name)
			if err != nil || e.Name[:2] != prefix {
				l.Stray = append(l.Stray, BlobPrefixPath(prefix)+"/"+e.Name+" is not a blob directory")
				continue
			}
			l.Digests = append(l.Digests, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return joinBlobListings(found), nil
}

// directory says whether entry e of blob store directory dir is a
// directory to go on with; a symbolic link is an anomaly, anything else
// that is not an addressable directory a stray entry.
func (l *BlobListing) directory(dir string, e Entry, what string) bool {
	p := dir + "/" + e.Name
	switch {
	case e.Kind == KindSymlink:
		l.Anomalies = append(l.Anomalies, anomaly(p, e.Kind))
		return false
	case !e.Addressable() || (e.Kind != KindDir && e.Kind != KindUnknown):
		l.Stray = append(l.Stray, fmt.Sprintf("%s (%s) is not a %s", quoteName(p), e.Kind, what))
		return false
	}
	return true
}

// blobPrefixName reports whether name is a prefix directory's: two
// lower-case hex digits. Only those, found empty, are removed with the
// blobs.
func blobPrefixName(name string) bool {
	hexDigit := func(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }
	return len(name) == 2 && hexDigit(name[0]) && hexDigit(name[1])
}

// listBlobs is ListBlobs on object storage: key <xx>/<hex>/<anything>
// below blobs/sha256/ is blob <hex> when <hex> is a digest starting with
// <xx>; any other key is (beneath) a stray entry.
func (o *objects) listBlobs(ctx context.Context, jobs int, stamp func(Digest, BlobStamp)) (*BlobListing, error) {
	bounds := blobBounds(jobs)
	found := make([]BlobListing, len(bounds)+1)
	root := blobAlgorithm + "/"
	err := o.listRanges(ctx, blobAlgorithm, bounds, jobs, func(r int, k listed) {
		l := &found[r]
		rel := strings.TrimPrefix(k.path, root)
		prefix, rest, ok1 := strings.Cut(rel, "/")
		name, file, ok2 := strings.Cut(rest, "/")
		if d, err := ParseHex(name); err == nil && ok1 && ok2 && name[:2] == prefix {
			if n := len(l.Digests); n == 0 || l.Digests[n-1] != d {
				l.Digests = append(l.Digests, d)
			}
			if file == DataFile && stamp != nil {
				stamp(d, etagStamp(k.size, k.etag))
			}
			return
		}
		stray := root + prefix
		if ok1 && prefix != "" {
			stray += "/" + name
		}
		stray = quoteName(stray) + " is not a blob directory"
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
		out.Anomalies = append(out.Anomalies, l.Anomalies...)
	}
	return out
}
