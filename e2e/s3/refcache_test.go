package s3

import (
	"context"
	"testing"

	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
)

// The manifest reference cache through the commands: a dry run (gc or
// prune) never writes it; a real gc does, under the lock, in the bucket
// (so a run from another process or machine finds it); a damaged one is
// ignored and rebuilt, and the outcome is the same.
func testS3RefCache(t *testing.T, e *s3Env) {
	ctx := context.Background()
	cache := storage.StateFilePath(scan.RefCacheName)
	present := func() bool {
		_, err := e.raw.Stat(ctx, cache)
		return err == nil
	}
	keep := e.r.PushImage(t, "app:keep")
	gone := e.r.PushImage(t, "app:gone")
	e.run(t, 0, "gc", "--delete-untagged", "--grace", "0", "--dry-run")
	e.run(t, 0, "prune", "--keep-last", "1", "--dry-run", "--grace", "0")
	if present() {
		t.Fatal("a dry run wrote the cache")
	}
	e.gc(t)
	if !present() {
		t.Fatal("gc wrote no cache")
	}
	b, err := e.raw.GetContent(ctx, cache)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := scan.DecodeRefCache(b); err != nil {
		t.Fatalf("the cache gc wrote: %v", err)
	}
	b[len(b)/2] ^= 0xff
	if err := e.raw.PutContent(ctx, cache, b); err != nil {
		t.Fatal(err)
	}
	e.run(t, 0, "tag", "rm", "app:gone")
	if s := e.gc(t); s.Removed["manifests"] != 1 {
		t.Errorf("gc with a damaged cache: %+v, want gone's manifest", s.Removed)
	}
	e.assertBlobs(t, false, append(regtest.BlobsOf(t, gone), regtest.DigestOf(t, gone))...)
	e.assertBlobs(t, true, append(regtest.BlobsOf(t, keep), regtest.DigestOf(t, keep))...)
	b, _ = e.raw.GetContent(ctx, cache)
	if _, err := scan.DecodeRefCache(b); err != nil {
		t.Errorf("the cache was not rebuilt: %v", err)
	}
	e.r.AssertAllTagsWhole(t)
}
