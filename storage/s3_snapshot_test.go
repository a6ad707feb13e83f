package storage

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/service/s3"
	"github.com/regprune/regprune/internal/minio"
)

// snapshotKeys is a tree of keys below repositories/ as registries and
// people leave them: nested repositories, names that sort between a
// directory and its children ("app-x" between "app" and "app/"), keys
// with bytes a URL must escape, a folder marker, a file where a directory
// belongs, and siblings of the directory and of the root.
func snapshotKeys(root string) []string {
	repos := root + "docker/registry/v2/repositories/"
	var keys []string
	for _, repo := range []string{"app", "app-x", "app/api", "app/0", "team/web", "z"} {
		for i := range 4 {
			d := fmt.Sprintf("%064x", i+len(repo)*7)
			keys = append(keys,
				repos+repo+"/_layers/sha256/"+d+"/link",
				repos+repo+"/_manifests/revisions/sha256/"+d+"/link",
				repos+repo+fmt.Sprintf("/_manifests/tags/v%d/current/link", i),
				repos+repo+fmt.Sprintf("/_manifests/tags/v%d/index/sha256/%s/link", i, d))
		}
		keys = append(keys, repos+repo+"/_uploads/0b5e0c35-1d7a-4c9e-9a8e-2a1f3e6c7d8b/startedat")
	}
	return append(keys,
		repos+"odd/_manifests/tags/a b+c%2F/current/link",
		repos+"odd/_manifests/tags/ünï/current/link",
		repos+"odd/_layers/",
		repos+"file",
		root+"docker/registry/v2/repositories-old/app/_layers/sha256/x/link",
		strings.TrimSuffix(root, "/")+"-backup/docker/registry/v2/repositories/app/_layers/sha256/y/link",
	)
}

// A snapshot answers every listing beneath its directory as the bucket
// does, page for page (any MaxKeys, StartAfter, delimiter, url encoding),
// and nothing outside it; answers come from memory (the keys are gone
// from the bucket when it is asked); a context without it lists the
// bucket.
func testS3Snapshot(t *testing.T, srv *minio.Server) {
	ctx := context.Background()
	_, st := openS3Root(t, srv)
	c := srv.Client(t)
	bucket := st.objects.bucket
	root := "reg/root/"
	putKeys(t, c, bucket, snapshotKeys(root))
	repos := root + "docker/registry/v2/repositories/"
	var prefixes []string
	for n, k := range snapshotKeys(root) {
		for i := len(repos); i < len(k); i++ {
			if k[i] == '/' && !strings.HasSuffix(k[:i], "sha256") { // the directories, but for the digest level
				prefixes = append(prefixes, k[:i+1])
			}
		}
		if n%5 == 0 { // a key, and a key cut short
			prefixes = append(prefixes, k, k[:len(k)-1])
		}
	}
	prefixes = append(prefixes, repos, repos+"app", repos+"nothing/")
	slices.Sort(prefixes)
	prefixes = slices.Compact(prefixes)
	type req struct {
		prefix, delim, after string
		max                  int64
	}
	var reqs []req
	for i, p := range prefixes {
		max := []int64{2, 1000}[i%2]
		reqs = append(reqs, req{p, "", "", max}, req{p, "/", "", max}, req{p, "/", p + "_m", 3})
	}
	list := func(ctx context.Context, r req) string {
		in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(r.prefix), MaxKeys: aws.Int64(r.max),
			EncodingType: aws.String(s3.EncodingTypeUrl)}
		if r.delim != "" {
			in.Delimiter = aws.String(r.delim)
		}
		if r.after != "" {
			in.StartAfter = aws.String(r.after)
		}
		var b strings.Builder
		err := st.objects.pages(ctx, in, func(p *s3.ListObjectsV2Output, last bool) bool {
			if len(p.Contents)+len(p.CommonPrefixes) == 0 {
				return true // S3 may end with an empty page, the snapshot does not
			}
			b.WriteString("page:")
			for _, o := range p.Contents {
				fmt.Fprintf(&b, " %s %d %s;", listedKey(o.Key), aws.Int64Value(o.Size), aws.StringValue(o.ETag))
			}
			for _, cp := range p.CommonPrefixes {
				fmt.Fprintf(&b, " prefix %s;", listedKey(cp.Prefix))
			}
			b.WriteString("\n")
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	live := make([]string, len(reqs))
	for i, r := range reqs {
		live[i] = list(ctx, r)
	}
	for _, jobs := range []int{1, 4} {
		st.objects.page = 3
		sctx, n, err := st.Snapshot(ctx, RepositoriesPath(), jobs)
		st.objects.page = 0
		if err != nil {
			t.Fatal(err)
		}
		if want := len(snapshotKeys(root)) - 2; n != want {
			t.Errorf("jobs %d: %d keys in the snapshot, want %d", jobs, n, want)
		}
		for i, r := range reqs {
			if got := list(sctx, r); got != live[i] {
				t.Fatalf("jobs %d: %+v:\nsnapshot %s\nbucket %s", jobs, r, got, live[i])
			}
		}
	}
	// Past its limit a snapshot is not held: the context lists the bucket.
	st.objects.snapshotLimit = 5
	full, n, err := st.Snapshot(ctx, RepositoriesPath(), 4)
	st.objects.snapshotLimit = 0
	if err != nil || n != -1 || full != ctx {
		t.Errorf("a snapshot past its limit: %d keys, %v, same context %v", n, err, full == ctx)
	}
	sctx, _, err := st.Snapshot(ctx, RepositoriesPath(), 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range snapshotKeys(root) {
		if _, err := c.DeleteObject(&s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range reqs {
		now := list(ctx, r)
		if live[i] != "" && now == live[i] {
			t.Fatalf("without the snapshot, %+v still lists %s", r, now)
		}
		want := now // outside the snapshot: the bucket
		if strings.HasPrefix(r.prefix, repos) {
			want = live[i]
		}
		if got := list(sctx, r); got != want {
			t.Fatalf("after the keys went, %+v:\n%s\nwant %s", r, got, want)
		}
	}
	if es, err := st.ListEntries(sctx, RepositoriesPath()+"/app/_manifests/tags"); err != nil || len(es) != 4 {
		t.Errorf("tags of app from the snapshot: %v, %v", es, err)
	}
	if es, err := st.ListEntries(ctx, RepositoriesPath()+"/app/_manifests/tags"); err != nil || len(es) != 0 {
		t.Errorf("tags of app from the bucket: %v, %v", es, err)
	}
	if !reflect.DeepEqual(rangeBounds([]string{"a", "b", "c", "d", "e"}, 2), []string{"b"}) ||
		len(rangeBounds([]string{"a"}, 8)) != 0 || len(rangeBounds(nil, 8)) != 0 {
		t.Errorf("rangeBounds: %q", rangeBounds([]string{"a", "b", "c", "d", "e"}, 2))
	}
}
