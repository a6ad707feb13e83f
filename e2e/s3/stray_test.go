package s3

import (
	"context"
	"strings"
	"testing"

	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/storage"
)

// A file in blobs/sha256/ where a prefix directory belongs is a stray
// entry: gc warns of it and leaves it (the first version took it for an
// empty prefix directory and deleted it). Found by the i17-mem branch.
func testS3BlobStoreStray(t *testing.T, e *s3Env) {
	e.r.PushImage(t, "app:v1", regtest.WithLayers(1, 128))
	p := storage.BlobAlgorithmPath() + "/README"
	if err := e.raw.PutContent(context.Background(), p, []byte("not a blob")); err != nil {
		t.Fatal(err)
	}
	s := e.gc(t)
	if b, err := e.raw.GetContent(context.Background(), p); err != nil || string(b) != "not a blob" {
		t.Errorf("%s after gc: %q, %v", p, b, err)
	}
	if !strings.Contains(strings.Join(s.Warnings, "\n"), "README") {
		t.Errorf("no warning of %s: %q", p, s.Warnings)
	}
	e.r.AssertAllTagsWhole(t)
}
