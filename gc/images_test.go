package gc_test

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/regprune/regprune/gc"
	"github.com/regprune/regprune/internal/regtest"
)

// A tagged multi-platform index keeps its untagged children (distribution
// issue 3178), and an index of indexes keeps every level.
func TestIndexChildrenKept(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	kids := []v1.Image{regtest.NewImage(t, regtest.WithPlatform("linux", "amd64")), regtest.NewImage(t, regtest.WithPlatform("linux", "arm64"))}
	r.PushIndex(t, "multi:v1", kids...)
	inner := r.PushIndex(t, "nest", regtest.NewImage(t, regtest.WithPlatform("linux", "s390x")))
	outer := r.PushIndexOf(t, "nest:v1", inner)
	gone := r.PushImage(t, "multi") // untagged
	collect(t, root, untagged())

	regtest.AssertExists(t, revisions(root, "multi", regtest.DigestOf(t, kids[0]), regtest.DigestOf(t, kids[1]))...)
	regtest.AssertExists(t, regtest.RevisionLink(root, "nest", regtest.DigestOf(t, inner)),
		regtest.RevisionLink(root, "nest", regtest.DigestOf(t, outer)))
	for _, k := range kids {
		regtest.AssertExists(t, blobFiles(root, regtest.BlobsOf(t, k)...)...)
		regtest.AssertExists(t, layerLinks(root, "multi", regtest.BlobsOf(t, k)...)...)
	}
	regtest.AssertMissing(t, blobFiles(root, append(regtest.BlobsOf(t, gone), regtest.DigestOf(t, gone))...)...)
	r.AssertAllTagsWhole(t)
}

// Two indexes share a child; the untagged one goes with its own child,
// the shared child stays whole for the tagged one.
func TestSharedChildOfUntaggedIndex(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	shared := regtest.NewImage(t, regtest.WithPlatform("linux", "amd64"))
	own := regtest.NewImage(t, regtest.WithPlatform("linux", "arm64"))
	r.PushIndex(t, "app:v1", shared)
	old := r.PushIndex(t, "app", shared, own) // by digest: untagged
	p := collect(t, root, untagged())

	regtest.AssertMissing(t, regtest.RevisionLink(root, "app", regtest.DigestOf(t, old)),
		regtest.RevisionLink(root, "app", regtest.DigestOf(t, own)))
	regtest.AssertMissing(t, blobFiles(root, append(regtest.BlobsOf(t, own), regtest.DigestOf(t, old))...)...)
	regtest.AssertMissing(t, layerLinks(root, "app", regtest.BlobsOf(t, own)...)...)
	regtest.AssertExists(t, regtest.RevisionLink(root, "app", regtest.DigestOf(t, shared)))
	regtest.AssertExists(t, blobFiles(root, regtest.BlobsOf(t, shared)...)...)
	if ms := values(p.Manifests()); len(ms) != 2 {
		t.Errorf("removed manifests %v, want the untagged index and its own child", ms)
	}
	r.AssertAllTagsWhole(t)
}

// A tag pushed three times: the two earlier manifests and their history
// entries go, the current one stays.
func TestTagHistoryCollected(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	a, b := r.PushImage(t, "app:latest"), r.PushImage(t, "app:latest")
	c := r.PushImage(t, "app:latest")
	p := collect(t, root, untagged())
	for _, img := range []v1.Image{a, b} {
		d := regtest.DigestOf(t, img)
		regtest.AssertMissing(t, regtest.RevisionLink(root, "app", d), regtest.TagIndexLink(root, "app", "latest", d))
		regtest.AssertMissing(t, blobFiles(root, append(regtest.BlobsOf(t, img), d)...)...)
	}
	regtest.AssertExists(t, regtest.TagIndexLink(root, "app", "latest", regtest.DigestOf(t, c)))
	if p.Counts().TagHistory != 2 {
		t.Errorf("history entries removed: %d, want 2", p.Counts().TagHistory)
	}
	r.AssertAllTagsWhole(t)
}

// Orphan blobs (with a layer link and without) go; without
// --delete-untagged untagged manifests stay.
func TestOrphanBlobs(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	r.PushImage(t, "app:v1")
	untaggedImg := r.PushImage(t, "app")
	linked := r.PushBlob(t, "app", []byte("orphan with a layer link"))
	loose := v1.Hash{Algorithm: "sha256", Hex: "ab" + hex62}
	regtest.WriteBlobData(t, root, loose, []byte("not even the right content"))
	p := collect(t, root, gcOpts(false))

	regtest.AssertMissing(t, regtest.BlobFile(root, linked), regtest.BlobFile(root, loose), regtest.LayerLink(root, "app", linked))
	regtest.AssertExists(t, regtest.RevisionLink(root, "app", regtest.DigestOf(t, untaggedImg)))
	regtest.AssertExists(t, blobFiles(root, regtest.BlobsOf(t, untaggedImg)...)...)
	if c := p.Counts(); c.Blobs != 2 || c.LayerLinks != 1 || c.Manifests != 0 {
		t.Errorf("counts %+v", c)
	}
	if want := int64(len("orphan with a layer link") + len("not even the right content")); p.FreedBytes() != want {
		t.Errorf("freed %d bytes, want %d", p.FreedBytes(), want)
	}
	r.AssertAllTagsWhole(t)
}

const hex62 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"

// An untagged index of indexes is removed top down: the plan gives each
// revision its depth below removed indexes, and the sweep removes an
// index before the children it lists, so that a kill never leaves an
// index whose children are gone.
func TestUntaggedIndexRemovedTopDown(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	leaves := []v1.Image{regtest.NewImage(t, regtest.WithPlatform("linux", "amd64")), regtest.NewImage(t, regtest.WithPlatform("linux", "arm64"))}
	inner := r.PushIndex(t, "x", leaves...)
	outer := r.PushIndexOf(t, "x:top", inner)
	r.PushImage(t, "x:keep")
	untag(t, root, "x", "top")
	opts := untagged()
	var order []string
	opts.Removed = func(ph gc.Phase, name string) {
		if ph == gc.PhaseManifests {
			order = append(order, name)
		}
	}
	p := collect(t, root, opts)
	want := map[v1.Hash]int{regtest.DigestOf(t, outer): 0, regtest.DigestOf(t, inner): 1,
		regtest.DigestOf(t, leaves[0]): 2, regtest.DigestOf(t, leaves[1]): 2}
	if ms := values(p.Manifests()); len(ms) != len(want) {
		t.Fatalf("plan removes %d revisions, want %d: %+v", len(ms), len(want), ms)
	}
	pos := map[string]int{}
	for i, n := range order {
		pos[n] = i
	}
	for _, m := range p.Manifests() {
		var h v1.Hash
		for k := range want {
			if dg(t, k) == m.Digest {
				h = k
			}
		}
		if m.Depth != want[h] {
			t.Errorf("%s: depth %d, want %d", m.Digest, m.Depth, want[h])
		}
	}
	before := func(a, b v1.Hash) {
		if pa, pb := pos["x@"+a.String()], pos["x@"+b.String()]; pa >= pb {
			t.Errorf("%s removed at %d, not before its child %s at %d (order %v)", a, pa, b, pb, order)
		}
	}
	before(regtest.DigestOf(t, outer), regtest.DigestOf(t, inner))
	before(regtest.DigestOf(t, inner), regtest.DigestOf(t, leaves[0]))
	before(regtest.DigestOf(t, inner), regtest.DigestOf(t, leaves[1]))
	r.AssertAllTagsWhole(t)
}
