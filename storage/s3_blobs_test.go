package storage

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/service/s3"
	"github.com/regprune/regprune/internal/minio"
	"github.com/regprune/regprune/internal/s3proxy"
)

// ListBlobs on S3 lists the 256 prefix directories concurrently (through
// s3proxy, which counts the requests in flight): with --jobs 1 one
// request at a time, with 8 several, the same listing either way; a
// prefix directory holding several pages of keys (pages of 10 here); strays reported, not
// listed as blobs; nothing of the sibling prefix /registry-backup nor of
// blobs/sha256-old; about one request per page of keys, plus one per
// prefix directory.
func testS3ListBlobs(t *testing.T, srv *minio.Server) {
	ctx := context.Background()
	bucket := srv.NewBucket(t)
	c := srv.Client(t)
	root := "registry/docker/registry/v2/"
	var keys []string
	var want []Digest
	rng := rand.New(rand.NewPCG(1, 17))
	blob := func(first byte) Digest {
		var d Digest
		for i := range d {
			d[i] = byte(rng.IntN(256))
		}
		d[0] = first
		return d
	}
	for i := range 300 { // 45 in prefix ab: a range of five pages of 10 keys
		d := blob(byte(i % 256))
		if i >= 256 {
			d = blob(0xab)
		}
		want = append(want, d)
		keys = append(keys, root+"blobs/sha256/"+d.Hex()[:2]+"/"+d.Hex()+"/data")
	}
	extra := want[1]
	keys = append(keys, root+"blobs/sha256/01/"+extra.Hex()+"/stray-beside-data")
	wrong := blob(0xcd)
	keys = append(keys,
		root+"blobs/sha256/README",
		root+"blobs/sha256/zz/x/data",
		root+"blobs/sha256/ab/"+wrong.Hex()+"/data",
		root+"blobs/sha256-old/00/"+want[0].Hex()+"/data",
		root+"repositories/app/_manifests/tags/v1/current/link",
		"registry-backup/docker/registry/v2/blobs/sha256/00/"+blob(0).Hex()+"/data",
		"registry-backup/docker/registry/v2/blobs/sha256/ff/"+blob(0xff).Hex()+"/data",
	)
	putKeys(t, c, bucket, keys)
	slices.SortFunc(want, Digest.Compare)
	wantStray := []string{BlobAlgorithmPath() + "/README", BlobAlgorithmPath() + "/ab/" + wrong.Hex(), BlobAlgorithmPath() + "/zz/x"}
	for i := range wantStray {
		wantStray[i] += " is not a blob directory"
	}

	u, err := url.Parse(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := s3proxy.New(u, 2*time.Millisecond)
	ts := httptest.NewServer(proxy)
	t.Cleanup(ts.Close)
	cfg := strings.Replace(srv.ConfigYAML(bucket), srv.Endpoint, ts.URL, 1)
	cfg = strings.Replace(cfg, "  s3:\n", "  s3:\n    rootdirectory: /registry\n", 1)
	p := filepath.Join(t.TempDir(), "config.yml")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := Open(ctx, Location{Config: p, How: "--config"})
	if err != nil {
		t.Fatal(err)
	}
	st.objects.page = 10

	pages := 0 // the bare listing of the blob store, through the proxy
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(root + "blobs/sha256/"), MaxKeys: aws.Int64(10)}
	if err := minio.ClientAt(t, ts.URL).ListObjectsV2PagesWithContext(ctx, in, func(*s3.ListObjectsV2Output, bool) bool { pages++; return true }); err != nil {
		t.Fatal(err)
	}
	for _, jobs := range []int{1, 8} {
		proxy.Stats(true)
		l, err := st.ListBlobs(ctx, jobs, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := proxy.Stats(true)
		if !reflect.DeepEqual(l.Digests, want) || !reflect.DeepEqual(l.Stray, wantStray) || len(l.Empty) != 0 {
			t.Fatalf("jobs %d: %d digests (want %d, equal %v), stray %q (want %q), empty %q", jobs, len(l.Digests), len(want),
				reflect.DeepEqual(l.Digests, want), l.Stray, wantStray, l.Empty)
		}
		switch {
		case got.List != got.Total || got.List > int64(pages)*11/10+256:
			t.Errorf("jobs %d: %d requests, %d LISTs; the bare listing takes %d", jobs, got.Total, got.List, pages)
		case jobs == 1 && got.InFlightMax != 1, jobs > 1 && got.InFlightMax < 2:
			t.Errorf("jobs %d: %d requests in flight at most", jobs, got.InFlightMax)
		}
		t.Logf("jobs %d: %d LISTs, %d in flight at most; bare listing %d", jobs, got.List, got.InFlightMax, pages)
	}
}

// putKeys writes keys (each holding its own name) into bucket, 16 at a
// time.
func putKeys(t *testing.T, c *s3.S3, bucket string, keys []string) {
	t.Helper()
	err := Each(context.Background(), len(keys), 16, func(ctx context.Context, i int) error {
		_, err := c.PutObjectWithContext(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(keys[i]),
			Body: bytes.NewReader([]byte(keys[i]))})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
