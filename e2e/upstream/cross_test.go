package upstream

import (
	"testing"

	"github.com/regprune/regprune/internal/regtest"
)

// A child shared by the tagged indexes of two repositories, deleted by
// digest through the API from the first. Upstream (v3.1) keeps one mark
// set for all repositories: the child, marked in the first repository
// without being followed, is then not followed in the second either, and
// its layers are swept while the second repository's index still needs
// them. regprune marks per repository: the second index stays whole (its
// blobs stay); in the first, where the registry answers 404 for the
// child, the child's layer links and revision directory go, as upstream
// removes them in a repository of its own.
func TestCrossRepositoryDeletedChild(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	a, b := regtest.NewImage(t, regtest.WithPlatform("linux", "amd64")), regtest.NewImage(t, regtest.WithPlatform("linux", "arm64"))
	one := r.PushIndex(t, "one:v1", a, b)
	two := r.PushIndex(t, "two:v1", a, b)
	r.DeleteManifest(t, "one", regtest.DigestOf(t, b))
	gc(t, root)

	r.AssertWhole(t, "two:v1")
	want(t, "blobs", blobs(t, root), hexes(append(blobsOf(t, a, b), manifestsOf(t, one, two)...)...))
	want(t, "revisions of one", revisions(t, root, "one"), hexes(manifestsOf(t, one, a)...))
	want(t, "layer links of one", layerLinks(t, root, "one"), hexes(layersOf(t, a)...))
	want(t, "revisions of two", revisions(t, root, "two"), hexes(manifestsOf(t, two, a, b)...))
	want(t, "layer links of two", layerLinks(t, root, "two"), hexes(layersOf(t, a, b)...))
	r.AssertWhole(t, "one@"+regtest.DigestOf(t, a).String())
	run(t, 0, "check", "--root", root)
}

// One image tagged in one repository and untagged in another. Upstream
// (v3.1) keeps the untagged revision (the digest is marked, by the other
// repository) but removes its layer links: a half-deleted image whose
// manifest pulls and whose layers are 404. regprune removes it from the
// repository where it is untagged, revision and layer links, and keeps it
// whole where it is tagged (its blobs stay).
func TestCrossRepositoryUntaggedHereTaggedThere(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	img := r.PushImage(t, "keep:v1")
	r.Write(t, "drop", img)
	other := r.PushImage(t, "drop:other")
	gc(t, root)

	r.AssertAllTagsWhole(t)
	want(t, "blobs", blobs(t, root), hexes(blobsOf(t, img, other)...))
	want(t, "revisions of drop", revisions(t, root, "drop"), hexes(manifestsOf(t, other)...))
	want(t, "layer links of drop", layerLinks(t, root, "drop"), hexes(layersOf(t, other)...))
	want(t, "revisions of keep", revisions(t, root, "keep"), hexes(manifestsOf(t, img)...))
}

// Issue 14: app:v1 and app:v2 on one manifest, deleted by digest through
// the API (which untags both and removes the revision link): check is
// clean before gc and after it, and gc removes the revision directory the
// delete left.
func TestCheckAfterDeleteByDigest(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	img := r.PushImage(t, "app:v1")
	r.Write(t, "app:v2", img)
	keep := r.PushImage(t, "app:keep")
	r.DeleteManifest(t, "app", regtest.DigestOf(t, img))
	if got := revisions(t, root, "app"); len(got) != 2 {
		t.Fatalf("revision directories after the delete: %v, want two (one without its link)", got)
	}
	out := run(t, 0, "check", "--root", root)
	if contains(out, "warning") {
		t.Errorf("check after a delete by digest:\n%s", out)
	}
	out = gc(t, root)
	if !contains(out, "removed debris app revision "+regtest.DigestOf(t, img).String()) {
		t.Errorf("gc did not remove the revision directory the delete left:\n%s", out)
	}
	want(t, "revisions", revisions(t, root, "app"), hexes(manifestsOf(t, keep)...))
	want(t, "blobs", blobs(t, root), hexes(blobsOf(t, keep)...))
	run(t, 0, "check", "--root", root)
	r.AssertAllTagsWhole(t)
}
