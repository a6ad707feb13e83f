package s3proxy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/minio"
	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/storage"
)

// Registry 2.8's s3 driver (the one regprune opens storage with) and
// regprune's own S3 client (storage/objects.go) sign for the proxy's
// address and are served through it: a push and pull of an image, then
// regprune reading tag links, manifests and tag histories.
func testRegistry28Regprune(t *testing.T, srv *minio.Server) {
	ctx := context.Background()
	p, ep := startProxy(t, srv, time.Millisecond)
	bucket := srv.NewBucket(t)
	params := srv.Params(bucket)
	params["regionendpoint"] = ep
	reg := regtest.StartS3(t, params)
	img := reg.PushImage(t, "app:v1")
	reg.Tag(t, "app:v1", "v2")
	reg.AssertWhole(t, "app:v2")
	if c := p.Stats(true); c.Put == 0 || c.GetData == 0 || c.Errors() != 0 {
		t.Fatalf("push and pull through the proxy: %+v", c)
	}

	cfg := filepath.Join(t.TempDir(), "config.yml")
	yml := strings.Replace(srv.ConfigYAML(bucket), srv.Endpoint, ep, 1)
	noErr(t, os.WriteFile(cfg, []byte(yml), 0o644))
	st := must(storage.Open(ctx, storage.Location{Config: cfg, How: "--config"}))(t)
	d := must(storage.ParseDigest(regtest.DigestOf(t, img).String()))(t)
	p.Stats(true) // opening probes the root
	if got := must(st.ReadLink(ctx, storage.TagCurrentLinkPath("app", "v1")))(t); got != d {
		t.Fatalf("tag v1 links %s, want %s", got, d)
	}
	must(st.ReadBlob(ctx, d))(t)
	// The driver reads objects from an offset (0): ranged GETs.
	expect(t, p, "a tag link and its manifest", Counts{Total: 2, Get: 2, GetLink: 1, GetData: 1, GetRanged: 2,
		Ops: map[string]int64{"GetObject": 2}, Status: map[string]int64{"206": 2}, Paths: map[string]int64{
			"GET repositories/<repo>/_manifests/tags/<tag>/current/link": 1, "GET blobs/sha256/<xx>/<hex>/data": 1}})

	tags := must(st.ListTags(ctx, "app"))(t)
	hist, errs, err := st.TagHistories(ctx, "app", tags, 4)
	noErr(t, err)
	if !reflect.DeepEqual(tags, []string{"v1", "v2"}) || len(hist) != 2 || len(hist[1]) != 1 || hist[1][0] != d || errs[1] != nil {
		t.Fatalf("tags %v, histories %v (%v)", tags, hist, errs)
	}
	// regprune's own client lists the tags (with a delimiter, confined
	// to the prefix: storage/objects_dir.go) and every tag's history at
	// once: two ListObjectsV2, none through the driver.
	expect(t, p, "tags and their histories", Counts{Total: 2, List: 2, ListDelimited: 1,
		Ops: map[string]int64{"ListObjectsV2": 2}, Status: map[string]int64{"200": 2}, Paths: map[string]int64{
			"LIST repositories/<repo>/_manifests/tags/ (dir)": 1, "LIST repositories/<repo>/_manifests/tags/ (all)": 1}})
}

// Registry 3.1.2 (upstream, aws-sdk-go in its own s3 driver with
// forcepathstyle) pushes and serves an image through the proxy; blobs
// are pulled through presigned redirects to the proxy's address.
func testRegistry3Upstream(t *testing.T, srv *minio.Server) {
	p, ep := startProxy(t, srv, time.Millisecond)
	bucket := srv.NewBucket(t)
	var driver strings.Builder
	driver.WriteString("  s3:\n")
	params := srv.Params(bucket)
	params["regionendpoint"] = ep
	params["forcepathstyle"] = true
	for _, k := range []string{"accesskey", "secretkey", "region", "regionendpoint", "bucket", "secure", "v4auth", "forcepathstyle"} {
		fmt.Fprintf(&driver, "    %s: %v\n", k, params[k])
	}
	reg := regtest.Serve(t, regtest.ServeOptions{Driver: driver.String()})
	reg.PushImage(t, "app:v1")
	reg.AssertWhole(t, "app:v1")
	c := p.Stats(true)
	if c.Put == 0 || c.GetData == 0 || c.Errors() != 0 {
		t.Fatalf("push and pull of registry 3 through the proxy: %+v", c)
	}
}
