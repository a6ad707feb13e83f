package upstream

import (
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/regprune/regprune/internal/regtest"
)

// TestTaggedManifestlistWithUntaggedManifest: a tagged index of two
// children pushed by digest only: nothing goes, the index pulls whole.
func TestTaggedManifestlistWithUntaggedManifest(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	a, b := regtest.NewImage(t, regtest.WithPlatform("linux", "amd64")), regtest.NewImage(t, regtest.WithPlatform("linux", "arm64"))
	idx := r.PushIndex(t, "foo/taggedlist:test", a, b)
	before := blobs(t, root)
	gc(t, root)

	want(t, "blobs", blobs(t, root), before)
	want(t, "blobs", blobs(t, root), hexes(append(blobsOf(t, a, b), manifestsOf(t, idx)...)...))
	want(t, "revisions", revisions(t, root, "foo/taggedlist"), hexes(manifestsOf(t, idx, a, b)...))
	want(t, "layer links", layerLinks(t, root, "foo/taggedlist"), hexes(layersOf(t, a, b)...))
	r.AssertWhole(t, "foo/taggedlist:test")
}

// TestUnTaggedManifestlistWithUntaggedManifest: an untagged index of
// untagged children: everything goes (upstream: no blob left), and
// regprune removes the repository it leaves empty.
func TestUnTaggedManifestlistWithUntaggedManifest(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	a, b := regtest.NewImage(t, regtest.WithPlatform("linux", "amd64")), regtest.NewImage(t, regtest.WithPlatform("linux", "arm64"))
	r.PushIndex(t, "foo/untaggedlist", a, b)
	gc(t, root)

	want(t, "blobs", blobs(t, root), nil)
	regtest.AssertMissing(t, regtest.RepoDir(root, "foo/untaggedlist"))
}

// TestUnTaggedManifestlistWithTaggedManifest: an untagged index of two
// tagged images: the index goes, both images stay whole.
func TestUnTaggedManifestlistWithTaggedManifest(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	a := r.PushImage(t, "foo/taggedmanifest:image1", regtest.WithPlatform("linux", "amd64"))
	b := r.PushImage(t, "foo/taggedmanifest:image2", regtest.WithPlatform("linux", "arm64"))
	idx := r.PushIndex(t, "foo/taggedmanifest", a, b)
	gc(t, root)

	want(t, "blobs", blobs(t, root), hexes(blobsOf(t, a, b)...))
	regtest.AssertMissing(t, regtest.BlobFile(root, regtest.DigestOf(t, idx)))
	want(t, "revisions", revisions(t, root, "foo/taggedmanifest"), hexes(manifestsOf(t, a, b)...))
	want(t, "layer links", layerLinks(t, root, "foo/taggedmanifest"), hexes(layersOf(t, a, b)...))
	r.AssertAllTagsWhole(t)
}

// TestTaggedManifestlistWithDeletedReference: an untagged index whose
// children were both deleted by digest through the API: nothing is left
// (upstream: no blob), not even the children's revision directories,
// which the registry's delete leaves without their link.
func TestTaggedManifestlistWithDeletedReference(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	a, b := regtest.NewImage(t, regtest.WithPlatform("linux", "amd64")), regtest.NewImage(t, regtest.WithPlatform("linux", "arm64"))
	r.PushIndex(t, "foo/deleteref", a, b)
	r.DeleteManifest(t, "foo/deleteref", regtest.DigestOf(t, a))
	r.DeleteManifest(t, "foo/deleteref", regtest.DigestOf(t, b))
	if got := revisions(t, root, "foo/deleteref"); len(got) != 3 {
		t.Fatalf("before gc: revision directories %v, want the index's and two without their link", got)
	}
	gc(t, root)

	want(t, "blobs", blobs(t, root), nil)
	regtest.AssertMissing(t, regtest.RepoDir(root, "foo/deleteref"))
}

// TestDeleteManifestIndexWithDanglingReferences (issue 18): a tagged
// index of two images, the second deleted by digest through the API. The
// index and the first image stay whole; the second image's manifest,
// config and layers, its layer links and its revision directory go (the
// registry answers 404 for it in this repository: nothing can pull it).
// check is clean afterwards but for a warning about the deleted child,
// and scan counts the two manifests the registry serves.
func TestDeleteManifestIndexWithDanglingReferences(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	a, b := regtest.NewImage(t, regtest.WithPlatform("linux", "amd64")), regtest.NewImage(t, regtest.WithPlatform("linux", "arm64"))
	idx := r.PushIndex(t, "deletemanifests:test", a, b)
	r.DeleteManifest(t, "deletemanifests", regtest.DigestOf(t, b))
	dangling(t, r, root, "deletemanifests", idx, a, b)
}

// dangling runs gc on the dangling-child state and asserts upstream's
// result, with the commands that read the same facts.
func dangling(t *testing.T, r *regtest.Registry, root, repo string, idx v1.ImageIndex, a, b v1.Image) {
	t.Helper()
	scanBefore := run(t, 0, "scan", "--root", root, "--json", "--grace", "0")
	if got := jsonInt(t, scanBefore, "manifests"); got != 2 {
		t.Errorf("scan before gc counts %d manifests, the registry serves 2:\n%s", got, scanBefore)
	}
	if got := jsonInt(t, scanBefore, "reclaimable_bytes"); got == 0 {
		t.Errorf("scan before gc finds nothing reclaimable:\n%s", scanBefore)
	}
	gc(t, root)

	want(t, "blobs", blobs(t, root), hexes(append(blobsOf(t, a), manifestsOf(t, idx)...)...))
	want(t, "revisions", revisions(t, root, repo), hexes(manifestsOf(t, idx, a)...))
	want(t, "layer links", layerLinks(t, root, repo), hexes(layersOf(t, a)...))
	r.AssertWhole(t, repo+"@"+regtest.DigestOf(t, a).String())
	if err := r.Whole(t.Context(), r.Ref(t, repo+":test")); err == nil {
		t.Errorf("%s:test pulls whole with a child deleted", repo)
	}
	out := run(t, 0, "check", "--root", root)
	if !contains(out, "child-revision-missing (warning)") || !contains(out, regtest.DigestOf(t, b).String()) {
		t.Errorf("check does not warn of the deleted child:\n%s", out)
	}
	out = run(t, 0, "gc", "--root", root, "--delete-untagged", "--grace", "0")
	if contains(out, "warning") || contains(out, "debris") {
		t.Errorf("a second gc finds more:\n%s", out)
	}
}

// TestGCWithUnknownRepository: a repository whose _manifests/tags is
// gone (upstream: gc must not fail). Its image is untagged: it goes.
func TestGCWithUnknownRepository(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	r.PushImage(t, "nonexistentrepo:image")
	keep := r.PushImage(t, "other:v1")
	if err := os.RemoveAll(filepath.Join(regtest.RepoDir(root, "nonexistentrepo"), "_manifests", "tags")); err != nil {
		t.Fatal(err)
	}
	gc(t, root)

	want(t, "blobs", blobs(t, root), hexes(blobsOf(t, keep)...))
	regtest.AssertMissing(t, regtest.RepoDir(root, "nonexistentrepo"))
	r.AssertAllTagsWhole(t)
}

// TestGCWithMissingManifests: a repository whose _manifests is gone, gc
// without --delete-untagged: its blobs go (upstream: no blob left).
func TestGCWithMissingManifests(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	r.PushImage(t, "testrepo:v1")
	if err := os.RemoveAll(filepath.Join(regtest.RepoDir(root, "testrepo"), "_manifests")); err != nil {
		t.Fatal(err)
	}
	run(t, 0, "gc", "--root", root, "--grace", "0")
	want(t, "blobs", blobs(t, root), nil)
}

// TestDeleteManifestIfTagNotFound: two manifests tagged in turn by the
// same tag: the first, untagged now, goes with its layers, layer links
// and tag history entry; the second stays whole.
func TestDeleteManifestIfTagNotFound(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	first := r.PushImage(t, "deletemanifests:test")
	second := r.PushImage(t, "deletemanifests:test")
	gc(t, root)

	want(t, "blobs", blobs(t, root), hexes(blobsOf(t, second)...))
	want(t, "revisions", revisions(t, root, "deletemanifests"), hexes(manifestsOf(t, second)...))
	want(t, "layer links", layerLinks(t, root, "deletemanifests"), hexes(layersOf(t, second)...))
	want(t, "tag history", dirs(t, filepath.Dir(filepath.Dir(regtest.TagIndexLink(root, "deletemanifests", "test", regtest.DigestOf(t, first))))),
		hexes(manifestsOf(t, second)...))
	r.AssertAllTagsWhole(t)
}

// TestGCWithUnusedLayerLinkPath: an image pushed by digest only: its
// layer links go with it.
func TestGCWithUnusedLayerLinkPath(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	img := regtest.NewImage(t)
	r.Write(t, "unusedlayerlink", img)
	r.PushImage(t, "unusedlayerlink:other")
	gc(t, root)
	for _, d := range layersOf(t, img) {
		regtest.AssertMissing(t, regtest.LayerLink(root, "unusedlayerlink", d))
	}
	r.AssertAllTagsWhole(t)
}
