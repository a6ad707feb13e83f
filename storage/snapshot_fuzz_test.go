package storage

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/service/s3"
)

// naiveList is what S3 answers to a listing of keys (sorted, distinct):
// keys beginning with prefix after after, those holding delim after the
// prefix rolled up into common prefixes, as one sequence of entries.
func naiveList(keys []string, prefix, delim, after string) []string {
	var out []string
	last := ""
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) || k <= after {
			continue
		}
		if j := strings.Index(k[len(prefix):], delim); delim != "" && j >= 0 {
			cp := k[:len(prefix)+j+len(delim)]
			if cp != last {
				out = append(out, "prefix "+cp)
			}
			last = cp
			continue
		}
		out = append(out, "key "+k)
	}
	return out
}

// FuzzSnapshotServe: a snapshot answers any listing beneath it as S3
// would (naiveList), in pages of MaxKeys entries, ETags as listed.
func FuzzSnapshotServe(f *testing.F) {
	f.Add("a/b/c\na/b/d\na/bc\na-x/y\nb\n\xff/x", "a/", "/", "", 2)
	f.Add("x/y/z\nx/y\nx/y/\nx/y0", "x/", "/", "x/y", 1)
	f.Fuzz(func(t *testing.T, list, prefix, delim, after string, max int) {
		const root = "r/repositories/"
		var keys []string
		for _, k := range strings.Split(list, "\n") {
			keys = append(keys, root+k)
		}
		slices.Sort(keys)
		keys = slices.Compact(keys)
		snap := &snapshot{prefix: root}
		for i, k := range keys {
			snap.names = append(snap.names, k[len(root):]...)
			snap.ends = append(snap.ends, uint32(len(snap.names)))
			etag := fmt.Sprintf("%032x", i)
			if i%3 == 0 {
				etag = fmt.Sprintf("kms-%d", i)
			}
			snap.attrs = append(snap.attrs, snap.attrsOf(i, listed{size: int64(i), mod: time.Unix(int64(i), 0), etag: etag}))
		}
		prefix, after = root+prefix, root+after
		if after == root {
			after = ""
		}
		in := &s3.ListObjectsV2Input{Prefix: aws.String(prefix), StartAfter: aws.String(after), MaxKeys: aws.Int64(int64(max % 5))}
		if delim != "" {
			in.Delimiter = aws.String(delim[:1])
			delim = delim[:1]
		}
		var got []string
		pages := 0
		snap.serve(in, func(p *s3.ListObjectsV2Output, last bool) bool {
			pages++
			if n := len(p.Contents) + len(p.CommonPrefixes); !last && n != int(aws.Int64Value(in.MaxKeys)) && max%5 > 0 {
				t.Fatalf("page %d of %d entries, MaxKeys %d", pages, n, max%5)
			}
			for _, o := range p.Contents {
				i := slices.Index(keys, *o.Key)
				etag := fmt.Sprintf(`"%032x"`, i)
				if i%3 == 0 {
					etag = fmt.Sprintf(`"kms-%d"`, i)
				}
				if i < 0 || aws.Int64Value(o.Size) != int64(i) || aws.TimeValue(o.LastModified).Unix() != int64(i) || *o.ETag != etag {
					t.Fatalf("key %q: %v", *o.Key, o)
				}
				got = append(got, "key "+*o.Key)
			}
			for _, cp := range p.CommonPrefixes {
				got = append(got, "prefix "+*cp.Prefix)
			}
			return true
		})
		slices.Sort(got) // a page lists its keys, then its common prefixes
		want := naiveList(keys, prefix, delim, after)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("prefix %q delim %q after %q:\ngot  %q\nwant %q", prefix, delim, after, got, want)
		}
	})
}

func TestPrefixEnd(t *testing.T) {
	for p, want := range map[string]string{"a/": "a0", "a\xff": "b", "\xff\xff": "", "": ""} {
		if got := prefixEnd(p); got != want {
			t.Errorf("prefixEnd(%q) = %q, want %q", p, got, want)
		}
	}
}

// BenchmarkSnapshotMemory reports what a snapshot holds per key of a
// registry's repositories/ (200 repositories of 20 tags: a layer link, a
// revision and a tag's current link and history entry each, uploads
// none), the heap it keeps after the listing's garbage is collected.
func BenchmarkSnapshotMemory(b *testing.B) {
	const root = "docker/registry/v2/repositories/"
	var keys []listed
	for r := range 200 {
		for t := range 20 {
			d := fmt.Sprintf("%064x", r*20+t+1<<40)
			repo := fmt.Sprintf("team-%d/app-%d", r%7, r)
			for _, k := range []string{
				repo + "/_layers/sha256/" + d + "/link",
				repo + "/_manifests/revisions/sha256/" + d + "/link",
				fmt.Sprintf("%s/_manifests/tags/v%d/current/link", repo, t),
				fmt.Sprintf("%s/_manifests/tags/v%d/index/sha256/%s/link", repo, t, d),
			} {
				keys = append(keys, listed{path: "/" + root + k, size: 71, mod: time.Unix(1, 0), etag: fmt.Sprintf("%032x", len(keys))})
			}
		}
	}
	slices.SortFunc(keys, func(a, b listed) int { return strings.Compare(a.path, b.path) })
	o := &objects{}
	var held uint64
	for range b.N {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		part := snapshot{}
		for _, k := range keys {
			part.names = append(part.names, strings.TrimPrefix(k.path, "/"+root)...)
			part.ends = append(part.ends, uint32(len(part.names)))
			part.attrs = append(part.attrs, part.attrsOf(len(part.attrs), k))
		}
		snap, err := joinSnapshots(o, root, []snapshot{part})
		if err != nil {
			b.Fatal(err)
		}
		part = snapshot{}
		runtime.GC()
		runtime.ReadMemStats(&after)
		held = after.HeapAlloc - before.HeapAlloc
		runtime.KeepAlive(snap)
	}
	b.ReportMetric(float64(held)/float64(len(keys)), "B/key")
}
