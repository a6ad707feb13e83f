package gc_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/distribution/registry/storage/driver"
	"github.com/docker/distribution/registry/storage/driver/factory"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/regprune/regprune/gc"
	"github.com/regprune/regprune/internal/minio"
	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/internal/s3proxy"
	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
)

// s3Bucket is a bucket a registry pushes to (straight to MinIO) and
// regprune reads through a counting proxy.
type s3Bucket struct {
	r     *regtest.Registry
	proxy *s3proxy.Proxy
	cfg   string
	raw   driver.StorageDriver
}

func newS3Bucket(t *testing.T, srv *minio.Server) *s3Bucket {
	t.Helper()
	u, err := url.Parse(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	b := &s3Bucket{proxy: s3proxy.New(u, 0)}
	ts := httptest.NewServer(b.proxy)
	t.Cleanup(ts.Close)
	bucket := srv.NewBucket(t)
	b.r = regtest.StartS3(t, srv.Params(bucket))
	b.cfg = filepath.Join(t.TempDir(), "config.yml")
	if err := os.WriteFile(b.cfg, []byte(strings.Replace(srv.ConfigYAML(bucket), srv.Endpoint, ts.URL, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if b.raw, err = factory.Create("s3", srv.Params(bucket)); err != nil {
		t.Fatal(err)
	}
	return b
}

// open opens the bucket afresh, as another process (another machine)
// would: nothing in memory but what the bucket holds.
func (b *s3Bucket) open(t *testing.T) *storage.Storage {
	t.Helper()
	st, err := storage.Open(context.Background(), storage.Location{Config: b.cfg, How: "--config"})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// plan plans from a fresh storage and returns the requests it made.
func (b *s3Bucket) plan(t *testing.T, opts gc.Options) (*gc.Plan, s3proxy.Counts) {
	t.Helper()
	st := b.open(t)
	b.proxy.Stats(true)
	p, err := gc.NewPlan(context.Background(), st, opts)
	if err != nil {
		t.Fatalf("NewPlan: %v", err)
	}
	return p, b.proxy.Stats(true)
}

// cold plans without the cache (put back afterwards).
func (b *s3Bucket) cold(t *testing.T, opts gc.Options) *gc.Plan {
	t.Helper()
	ctx := context.Background()
	p := storage.StateFilePath(scan.RefCacheName)
	saved, err := b.raw.GetContent(ctx, p)
	if err == nil {
		if err := b.raw.Delete(ctx, p); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := b.raw.PutContent(ctx, p, saved); err != nil {
				t.Fatal(err)
			}
		}()
	}
	plan, c := b.plan(t, opts)
	if c.GetData == 0 {
		t.Fatal("a plan without a cache read no manifest")
	}
	return plan
}

// run plans and executes from a fresh storage, under a journal.
func (b *s3Bucket) run(t *testing.T, opts gc.Options) (*gc.Plan, s3proxy.Counts) {
	t.Helper()
	st := b.open(t)
	b.proxy.Stats(true)
	p, err := gc.NewPlan(context.Background(), st, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Execute(context.Background(), st, journaled(t, st, opts), nil); err != nil {
		t.Fatal(err)
	}
	return p, b.proxy.Stats(true)
}

// kmsETag plays an ETag that is no MD5 of the content (KMS encryption):
// stable for one object version, unrelated to its bytes' MD5.
func kmsETag(_, etag string) string {
	return fmt.Sprintf("%x", sha256.Sum256([]byte("kms:"+etag)))[:32]
}

func TestS3RefCacheAndTagLinks(t *testing.T) {
	srv := minio.Start(t)
	t.Run("SecondRun", func(t *testing.T) { t.Parallel(); testS3SecondRun(t, newS3Bucket(t, srv)) })
	t.Run("KMSETags", func(t *testing.T) { t.Parallel(); testS3KMSETags(t, newS3Bucket(t, srv)) })
	t.Run("BlobReplaced", func(t *testing.T) { t.Parallel(); testS3BlobReplaced(t, newS3Bucket(t, srv)) })
	t.Run("LinkOutsideHistory", func(t *testing.T) { t.Parallel(); testS3LinkOutsideHistory(t, newS3Bucket(t, srv)) })
	t.Run("CorruptCache", func(t *testing.T) { t.Parallel(); testS3CorruptCache(t, newS3Bucket(t, srv)) })
	t.Run("ListFloor", func(t *testing.T) { t.Parallel(); testS3ListFloor(t, newS3Bucket(t, srv)) })
}

func pushSample(t *testing.T, b *s3Bucket) {
	t.Helper()
	kids := []v1.Image{regtest.NewImage(t, regtest.WithPlatform("linux", "amd64")), regtest.NewImage(t, regtest.WithPlatform("linux", "arm64"))}
	b.r.PushIndex(t, "multi:v1", kids...)
	b.r.PushImage(t, "app:v1")
	b.r.PushImage(t, "app:v2")
	b.r.PushImage(t, "app:v2") // v2's history holds two manifests
	b.r.PushImage(t, "app")    // untagged
	b.r.Tag(t, "app:v1", "v3")
}

// A second gc, from a fresh process, reads no manifest and no tag link
// (every current link's ETag names one digest of its history) and plans
// what a gc without the cache plans.
func testS3SecondRun(t *testing.T, b *s3Bucket) {
	pushSample(t, b)
	first, c := b.run(t, untagged())
	if len(values(first.Manifests())) != 2 || c.Put == 0 {
		t.Fatalf("first gc removed %v, wrote %d objects", values(first.Manifests()), c.Put)
	}
	// The plan knew every link from its ETag; the re-read of app's three
	// tags before its revisions went is a real read of each.
	if c.GetLink != 3 {
		t.Errorf("first gc: %d link GETs, want app's 3 tags re-read before the deletion: %v", c.GetLink, c.Paths)
	}
	p, c := b.plan(t, untagged())
	if c.GetData != 0 || c.GetLink != 0 {
		t.Errorf("second plan: %d manifest GETs, %d link GETs, want none: %+v", c.GetData, c.GetLink, c.Paths)
	}
	samePlan(t, p, b.cold(t, untagged()))
	if n := len(values(p.Manifests())) + len(values(p.Blobs())) + len(values(p.LayerLinks())); n != 0 {
		t.Errorf("second plan removes %d objects", n)
	}
	_, c = b.run(t, untagged())
	if c.GetData != 0 || c.GetLink != 0 {
		t.Errorf("second gc: %d manifest GETs, %d link GETs: %+v", c.GetData, c.GetLink, c.Paths)
	}
	if c.Put != 0 {
		t.Errorf("second gc wrote %d objects (an unchanged cache is not written again): %v", c.Put, c.Paths)
	}
	t.Logf("second gc: %d requests: %d LIST, %d GET", c.Total, c.List, c.Get)
	b.r.AssertAllTagsWhole(t)
}

// ETags that are no MD5 (KMS): tag links are read, the cache's entries
// (stamped with other ETags) are read again, the plan is right; a cache
// written under such ETags serves the next run.
func testS3KMSETags(t *testing.T, b *s3Bucket) {
	pushSample(t, b)
	b.run(t, untagged())
	b.proxy.SetETagRewrite(kmsETag)
	p, c := b.plan(t, untagged())
	if c.GetLink != 4 || c.GetData == 0 {
		t.Errorf("with KMS ETags: %d link GETs (want 4 tags), %d manifest GETs (want the cache ignored): %v", c.GetLink, c.GetData, c.Paths)
	}
	samePlan(t, p, b.cold(t, untagged()))
	b.run(t, untagged())
	_, c = b.plan(t, untagged())
	if c.GetLink != 4 || c.GetData != 0 {
		t.Errorf("cache written under KMS ETags: %d link GETs (want 4), %d manifest GETs (want 0)", c.GetLink, c.GetData)
	}
	b.r.AssertAllTagsWhole(t)
}

// A manifest blob rewritten with other bytes (another image's manifest)
// after it was cached has another ETag: it is read again, and gc plans
// from what it now holds.
func testS3BlobReplaced(t *testing.T, b *s3Bucket) {
	ctx := context.Background()
	a := b.r.PushImage(t, "app:a")
	other := b.r.PushImage(t, "app:b")
	b.run(t, untagged())
	bm, err := b.raw.GetContent(ctx, storage.BlobDataPath(dg(t, regtest.DigestOf(t, other))))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.raw.PutContent(ctx, storage.BlobDataPath(dg(t, regtest.DigestOf(t, a))), bm); err != nil {
		t.Fatal(err)
	}
	p, c := b.plan(t, untagged())
	if c.GetData != 1 {
		t.Errorf("%d manifest GETs, want the replaced one", c.GetData)
	}
	samePlan(t, p, b.cold(t, untagged()))
	if len(values(p.LayerLinks())) == 0 {
		t.Fatal("the plan kept a's layers: the cache answered for a blob that changed")
	}
}

// A current link naming a manifest its tag's history does not hold: its
// ETag matches no candidate, so it is read (one GET), and gc keeps the
// manifest it names.
func testS3LinkOutsideHistory(t *testing.T, b *s3Bucket) {
	ctx := context.Background()
	one := b.r.PushImage(t, "app:v1")
	two := b.r.PushImage(t, "app:v2")
	b.r.PushImage(t, "app:v3")
	b.run(t, untagged())
	link := storage.TagCurrentLinkPath("app", "v1")
	if err := b.raw.PutContent(ctx, link, []byte(regtest.DigestOf(t, two).String())); err != nil {
		t.Fatal(err)
	}
	p, c := b.plan(t, untagged())
	if c.GetLink != 1 {
		t.Errorf("%d link GETs, want v1's", c.GetLink)
	}
	if len(values(p.Manifests())) != 1 || values(p.Manifests())[0].Digest != dg(t, regtest.DigestOf(t, one)) {
		t.Errorf("plan removes %v, want v1's old manifest only", values(p.Manifests()))
	}
	b.run(t, untagged())
	b.r.AssertAllTagsWhole(t)
}

// A cache corrupted in the bucket is ignored whole, and rebuilt by the
// next real run.
func testS3CorruptCache(t *testing.T, b *s3Bucket) {
	ctx := context.Background()
	pushSample(t, b)
	b.run(t, untagged())
	p := storage.StateFilePath(scan.RefCacheName)
	data, err := b.raw.GetContent(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-3] ^= 0x40
	if err := b.raw.PutContent(ctx, p, data); err != nil {
		t.Fatal(err)
	}
	plan, c := b.plan(t, untagged())
	if c.GetData == 0 {
		t.Error("a corrupted cache was used")
	}
	samePlan(t, plan, b.cold(t, untagged()))
	b.run(t, untagged())
	if _, c := b.plan(t, untagged()); c.GetData != 0 {
		t.Errorf("the cache was not rebuilt: %d manifest GETs", c.GetData)
	}
}

// A plan with nothing new to read lists the bucket about as a bare
// listing does: the repositories and the blob store once each, in
// --jobs ranges (at most one request more per range), not each
// repository's tags, revisions, layer links and uploads apart (five
// listings a repository, and the catalog's walk, before); no manifest is
// read.
func testS3ListFloor(t *testing.T, b *s3Bucket) {
	for i := range 12 {
		repo := fmt.Sprintf("team%d/app-%d", i%3, i)
		b.r.PushImage(t, repo+":v1")
		b.r.PushImage(t, repo+":v2")
	}
	b.r.PushImage(t, "team0/app-0:v1") // v1's old manifest: untagged
	first, _ := b.run(t, untagged())
	if len(values(first.Manifests())) != 1 {
		t.Fatalf("first gc removed %v, want team0/app-0's old v1", values(first.Manifests()))
	}
	n := 0 // keys of the bucket: a bare listing takes a request per 1,000
	err := b.raw.Walk(context.Background(), "/", func(fi driver.FileInfo) error {
		if !fi.IsDir() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	bare := int64(n+999) / 1000
	jobs := int64(untagged().Jobs)
	p, c := b.plan(t, untagged())
	if c.GetData != 0 || c.GetLink != 0 {
		t.Errorf("plan: %d manifest GETs, %d link GETs, want none: %+v", c.GetData, c.GetLink, c.Paths)
	}
	// The blob store in jobs ranges, the repositories' entries once and
	// in at most jobs ranges, the cache, the lock's state directory.
	if limit := bare*11/10 + 2*jobs + 8; c.List > limit {
		t.Errorf("plan: %d LISTs for %d keys (%d pages), want at most %d: %+v", c.List, n, bare, limit, c.Paths)
	}
	samePlan(t, p, b.cold(t, untagged()))
	t.Logf("plan: %d requests, %d LIST, for %d keys", c.Total, c.List, n)
	b.r.AssertAllTagsWhole(t)
}
