package storage

import (
	"context"
	"net/url"
	"sort"
	"strings"
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
	keys   []snapKey
}

// snapKey is one key as listed: the key decoded (listedKey), its size,
// modification time and ETag as the listing gave them.
type snapKey struct {
	key  string
	size int64
	mod  time.Time
	etag string
}

type snapshotKey struct{}

// Snapshot lists every object beneath directory dir once, in up to jobs
// ranges listed concurrently (split at dir's own entries, from one
// listing of dir with a delimiter), and returns a context under which
// every listing and Stat of this storage beneath dir is answered from
// that listing, without a request. What is listed is what the bucket held
// during the listing, as with any listing; a caller that must see later
// changes (a re-check before deleting) uses a context without it. Only
// object storage with bulk access has snapshots: elsewhere ctx is
// returned as is. keys is the number of keys held.
func (s *Storage) Snapshot(ctx context.Context, dir string, jobs int) (_ context.Context, keys int, err error) {
	if s.objects == nil {
		return ctx, 0, nil
	}
	snap, err := s.objects.snapshot(ctx, dir, jobs)
	if err != nil {
		return nil, 0, err
	}
	return context.WithValue(ctx, snapshotKey{}, snap), len(snap.keys), nil
}

func (o *objects) snapshot(ctx context.Context, dir string, jobs int) (*snapshot, error) {
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
	found := make([][]snapKey, len(bounds)+1)
	err = o.listRanges(ctx, dir, bounds, jobs, func(r int, k listed) {
		found[r] = append(found[r], snapKey{key: o.key(k.path), size: k.size, mod: k.mod, etag: k.etag})
	})
	if err != nil {
		return nil, err
	}
	n := 0
	for _, ks := range found {
		n += len(ks)
	}
	snap := &snapshot{o: o, prefix: o.key(dir) + "/", keys: make([]snapKey, 0, n)}
	for _, ks := range found {
		snap.keys = append(snap.keys, ks...)
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
	ks := snap.keys
	i := sort.Search(len(ks), func(i int) bool { return ks[i].key >= prefix })
	if after := aws.StringValue(in.StartAfter); after >= prefix {
		i = sort.Search(len(ks), func(i int) bool { return ks[i].key > after })
	}
	page := &s3.ListObjectsV2Output{}
	n := 0
	for i < len(ks) && strings.HasPrefix(ks[i].key, prefix) {
		k := ks[i]
		if j := strings.Index(k.key[len(prefix):], delim); delim != "" && j >= 0 {
			cp := k.key[:len(prefix)+j+len(delim)]
			page.CommonPrefixes = append(page.CommonPrefixes, &s3.CommonPrefix{Prefix: encode(cp)})
			for i < len(ks) && strings.HasPrefix(ks[i].key, cp) {
				i++
			}
		} else {
			page.Contents = append(page.Contents, &s3.Object{Key: encode(k.key), Size: aws.Int64(k.size),
				LastModified: aws.Time(k.mod), ETag: aws.String(`"` + k.etag + `"`)})
			i++
		}
		if n++; n == limit && i < len(ks) && strings.HasPrefix(ks[i].key, prefix) {
			if !f(page, false) {
				return
			}
			page, n = &s3.ListObjectsV2Output{}, 0
		}
	}
	f(page, true)
}
