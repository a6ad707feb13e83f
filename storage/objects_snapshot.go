package storage

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/service/s3"
)

// snapshot is every key beneath one directory of the bucket, listed once
// (in ranges, concurrently) and held in memory, so that the many small
// listings a plan makes of each repository (tags, histories, revisions,
// layer links, uploads, the catalog's walk, stats) cost no request: on
// object storage a plan then costs the bare listing of the bucket and a
// constant. It answers only requests made with a context that carries
// it (Storage.Snapshot), and only for prefixes beneath its directory;
// everything else, and every read, write and delete, goes to the bucket.
type snapshot struct {
	o      *objects // the bucket it was listed from
	prefix string   // key of the directory and "/"
	// The keys, sorted, without the prefix, one after another in names;
	// key i is names[ends[i-1]:ends[i]] (about 90 bytes a key on a
	// registry, where strings and a time.Time each took 200).
	names []byte
	ends  []uint32
	attrs []snapAttrs
	etags map[int]string // ETags of other forms, by key
}

// snapAttrs is what the listing said of one key: size, modification time
// (Unix nanoseconds) and ETag, held as its 16 bytes when it is 32
// lower-case hex digits (an MD5, or a KMS ETag of that form: 32 bytes a
// key in all); another ETag is kept in the snapshot's etags, by key.
type snapAttrs struct {
	size int64
	mod  int64
	etag [16]byte
}

// attrsOf packs what the listing said of key k (the i-th of its part).
func (snap *snapshot) attrsOf(i int, k listed) snapAttrs {
	a := snapAttrs{size: k.size, mod: k.mod.UnixNano()}
	var ok bool
	if a.etag, ok = MD5ETag(k.etag); ok {
		return a
	}
	if snap.etags == nil {
		snap.etags = map[int]string{}
	}
	snap.etags[i] = k.etag
	return a
}

// etagOf is the ETag of key i as listed (quotes removed).
func (snap *snapshot) etagOf(i int) string {
	if e, ok := snap.etags[i]; ok {
		return e
	}
	return hex.EncodeToString(snap.attrs[i].etag[:])
}

// rel is key i without the prefix (a view of names: not to be kept).
func (snap *snapshot) rel(i int) []byte {
	start := uint32(0)
	if i > 0 {
		start = snap.ends[i-1]
	}
	return snap.names[start:snap.ends[i]]
}

// search is the index of the first key whose rest (after the prefix) is
// at least rel, or, with after, greater than rel.
func (snap *snapshot) search(rel string, after bool) int {
	return sort.Search(snap.len(), func(i int) bool {
		if c := bytes.Compare(snap.rel(i), []byte(rel)); after {
			return c > 0
		} else {
			return c >= 0
		}
	})
}

// len is the number of keys.
func (snap *snapshot) len() int { return len(snap.ends) }

type snapshotKey struct{}

// SnapshotKeyLimit is the most keys a snapshot holds (about 130 bytes
// each: 260 MB): a larger directory is not held, and listed piecemeal as
// without a snapshot (more requests, no more memory).
const SnapshotKeyLimit = 2_000_000

// errSnapshotFull stops the listing of a snapshot past SnapshotKeyLimit.
var errSnapshotFull = errors.New("snapshot full")

// Snapshot lists every object beneath directory dir once, in up to jobs
// ranges listed concurrently (split at dir's own entries, from one
// listing of dir with a delimiter), and returns a context under which
// every listing and Stat of this storage beneath dir is answered from
// that listing, without a request. What is listed is what the bucket held
// during the listing, as with any listing; a caller that must see later
// changes (a re-check before deleting) uses a context without it. Only
// object storage with bulk access has snapshots: elsewhere ctx is
// returned as is, and so it is when dir holds more than
// SnapshotKeyLimit keys (keys is then -1). keys is the number of keys
// held.
func (s *Storage) Snapshot(ctx context.Context, dir string, jobs int) (_ context.Context, keys int, err error) {
	if s.objects == nil {
		return ctx, 0, nil
	}
	limit := SnapshotKeyLimit
	if s.objects.snapshotLimit > 0 {
		limit = s.objects.snapshotLimit
	}
	snap, err := s.objects.snapshot(ctx, dir, jobs, limit)
	if errors.Is(err, errSnapshotFull) {
		return ctx, -1, nil
	}
	if err != nil {
		return nil, 0, err
	}
	return context.WithValue(ctx, snapshotKey{}, snap), snap.len(), nil
}

func (o *objects) snapshot(ctx context.Context, dir string, jobs, limit int) (*snapshot, error) {
	es, err := o.listDir(ctx, dir)
	if isNotFound(err) {
		return &snapshot{o: o, prefix: o.key(dir) + "/"}, nil
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(es))
	for _, e := range es {
		names = append(names, e.Name)
	}
	sort.Strings(names)
	bounds := rangeBounds(names, jobs)
	prefix := o.key(dir) + "/"
	found := make([]snapshot, len(bounds)+1)
	lctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	var n atomic.Int64
	err = o.listRanges(lctx, dir, bounds, jobs, func(r int, k listed) {
		if n.Add(1) > int64(limit) {
			stop(errSnapshotFull)
			return
		}
		part := &found[r]
		part.names = append(part.names, strings.TrimPrefix(o.key(k.path), prefix)...)
		part.ends = append(part.ends, uint32(len(part.names)))
		part.attrs = append(part.attrs, part.attrsOf(len(part.attrs), k))
	})
	if cause := context.Cause(lctx); errors.Is(cause, errSnapshotFull) && ctx.Err() == nil {
		return nil, cause
	}
	if err != nil {
		return nil, err
	}
	return joinSnapshots(o, prefix, found)
}

// joinSnapshots joins the snapshots of consecutive ranges, in order.
func joinSnapshots(o *objects, prefix string, parts []snapshot) (*snapshot, error) {
	var names, keys int
	for _, p := range parts {
		names, keys = names+len(p.names), keys+len(p.ends)
	}
	if names > math.MaxUint32 {
		return nil, fmt.Errorf("listing %s: %d bytes of key names: more than a snapshot holds", prefix, names)
	}
	snap := &snapshot{o: o, prefix: prefix, names: make([]byte, 0, names), ends: make([]uint32, 0, keys),
		attrs: make([]snapAttrs, 0, keys)}
	for _, p := range parts {
		base := uint32(len(snap.names))
		for i, e := range p.etags {
			if snap.etags == nil {
				snap.etags = map[int]string{}
			}
			snap.etags[len(snap.attrs)+i] = e
		}
		snap.names = append(snap.names, p.names...)
		for _, e := range p.ends {
			snap.ends = append(snap.ends, base+e)
		}
		snap.attrs = append(snap.attrs, p.attrs...)
	}
	return snap, nil
}

// rangeBounds picks up to n-1 of the sorted names as the bounds of n
// ranges holding about as many names each.
func rangeBounds(names []string, n int) []string {
	n = max(1, min(n, len(names)))
	out := make([]string, 0, n-1)
	for i := 1; i < n; i++ {
		out = append(out, names[i*len(names)/n-1])
	}
	return out
}

// covering is the snapshot carried by ctx when it answers a listing of
// this bucket with prefix prefix.
func (o *objects) covering(ctx context.Context, prefix string) *snapshot {
	snap, _ := ctx.Value(snapshotKey{}).(*snapshot)
	if snap == nil || snap.o != o || !strings.HasPrefix(prefix, snap.prefix) {
		return nil
	}
	return snap
}

// pages is ListObjectsV2PagesWithContext, answered from the snapshot ctx
// carries when it covers the request's prefix.
func (o *objects) pages(ctx context.Context, in *s3.ListObjectsV2Input, f func(*s3.ListObjectsV2Output, bool) bool) error {
	snap := o.covering(ctx, aws.StringValue(in.Prefix))
	if snap == nil {
		return o.client.ListObjectsV2PagesWithContext(ctx, in, f)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	snap.serve(in, f)
	return nil
}

// listPage is ListObjectsV2WithContext (the first page only), answered from
// the snapshot ctx carries when it covers the request's prefix.
func (o *objects) listPage(ctx context.Context, in *s3.ListObjectsV2Input) (*s3.ListObjectsV2Output, error) {
	var out *s3.ListObjectsV2Output
	if o.covering(ctx, aws.StringValue(in.Prefix)) == nil {
		return o.client.ListObjectsV2WithContext(ctx, in)
	}
	err := o.pages(ctx, in, func(p *s3.ListObjectsV2Output, _ bool) bool {
		out = p
		return false
	})
	return out, err
}

// serve answers a listing as S3 does: keys beginning with the prefix,
// after StartAfter, in order, those holding the delimiter after the
// prefix rolled up into common prefixes, in pages of MaxKeys (keys and
// common prefixes counted alike), url-encoded when asked.
func (snap *snapshot) serve(in *s3.ListObjectsV2Input, f func(*s3.ListObjectsV2Output, bool) bool) {
	prefix, delim := aws.StringValue(in.Prefix), aws.StringValue(in.Delimiter)
	encode := func(k string) *string { return aws.String(k) }
	if aws.StringValue(in.EncodingType) == s3.EncodingTypeUrl {
		encode = func(k string) *string { return aws.String(url.QueryEscape(k)) }
	}
	limit := int(aws.Int64Value(in.MaxKeys))
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	n := snap.len()
	p := prefix[len(snap.prefix):] // covering: prefix begins with snap.prefix
	i := snap.search(p, false)
	switch after := aws.StringValue(in.StartAfter); {
	case after < prefix:
	case strings.HasPrefix(after, snap.prefix):
		i = snap.search(after[len(snap.prefix):], true)
	default: // after every key of the snapshot
		i = n
	}
	page := &s3.ListObjectsV2Output{}
	count := 0
	for i < n && bytes.HasPrefix(snap.rel(i), []byte(p)) {
		rel := snap.rel(i)
		if j := bytes.Index(rel[len(p):], []byte(delim)); delim != "" && j >= 0 {
			cp := string(rel[:len(p)+j+len(delim)])
			page.CommonPrefixes = append(page.CommonPrefixes, &s3.CommonPrefix{Prefix: encode(snap.prefix + cp)})
			if end := prefixEnd(cp); end == "" {
				i = n
			} else {
				i = max(i+1, snap.search(end, false)) // past every key beginning with cp
			}
		} else {
			a := &snap.attrs[i]
			page.Contents = append(page.Contents, &s3.Object{Key: encode(snap.prefix + string(rel)), Size: aws.Int64(a.size),
				LastModified: aws.Time(time.Unix(0, a.mod).UTC()), ETag: aws.String(`"` + snap.etagOf(i) + `"`)})
			i++
		}
		if count++; count == limit && i < n && bytes.HasPrefix(snap.rel(i), []byte(p)) {
			if !f(page, false) {
				return
			}
			page, count = &s3.ListObjectsV2Output{}, 0
		}
	}
	f(page, true)
}

// prefixEnd is the least string greater than every string beginning with
// p ("" for none: p is all 0xff bytes).
func prefixEnd(p string) string {
	b := []byte(p)
	for len(b) > 0 {
		if b[len(b)-1] < 0xff {
			b[len(b)-1]++
			return string(b)
		}
		b = b[:len(b)-1]
	}
	return ""
}
