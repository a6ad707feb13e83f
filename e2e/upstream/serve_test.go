package upstream

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/regprune/regprune/internal/regtest"
)

// TestDanglingChildRegistryServe is the dangling child of a tagged index
// (TestDeleteManifestIndexWithDanglingReferences) on the real `registry
// serve` v3.1.2: its own API delete, then regprune's gc on the storage and
// the registry's own garbage-collect --delete-untagged on a copy of it.
// Both free the deleted child's config and layers (upstream's expected
// result). The registry's garbage-collect marks the child's own digest
// when it meets it in the index (without following it) and so keeps its
// manifest blob, which nothing can pull any more (404 by digest in this
// repository, and in no other); regprune frees it too, and removes the
// revision directory the delete left without its link. The image still
// pulls through the running registry.
func TestDanglingChildRegistryServe(t *testing.T) {
	t.Parallel()
	s := regtest.Serve(t, regtest.ServeOptions{})
	root := s.Root
	a, b := regtest.NewImage(t, regtest.WithPlatform("linux", "amd64")), regtest.NewImage(t, regtest.WithPlatform("linux", "arm64"))
	idx := s.PushIndex(t, "deletemanifests:test", a, b)
	s.DeleteManifest(t, "deletemanifests", regtest.DigestOf(t, b))
	if got := revisions(t, root, "deletemanifests"); len(got) != 3 {
		t.Fatalf("after registry v3's delete: revision directories %v, want 3 (one without its link)", got)
	}

	upstream := regtest.CopyTree(t, root)
	cfg := filepath.Join(t.TempDir(), "config.yml")
	conf := "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: " + upstream + "\n"
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := regtest.RunRegistry(t, nil, "garbage-collect", "--delete-untagged", cfg); err != nil {
		t.Fatalf("registry garbage-collect: %v\n%s", err, out)
	}

	dangling(t, s.Registry, root, "deletemanifests", idx, a, b)
	want(t, "blobs left by the registry's garbage-collect", blobs(t, upstream),
		hexes(append(blobsOf(t, a), manifestsOf(t, idx, b)...)...))
	want(t, "blobs left by regprune", blobs(t, root), hexes(append(blobsOf(t, a), manifestsOf(t, idx)...)...))
	if got := revisions(t, upstream, "deletemanifests"); len(got) != 3 {
		t.Errorf("the registry's garbage-collect left revision directories %v; the test expects it to keep the empty one", got)
	}
}
