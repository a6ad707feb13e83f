package gc_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/gc"
	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/storage"
)

// One manifest tagged in one repository and untagged in another: it goes
// from the second (revision and layer links) and stays whole in the first.
func TestOneDigestTwoRepositories(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	img := regtest.NewImage(t)
	r.Write(t, "keep:v1", img)
	r.Write(t, "drop:v1", img)
	r.PushImage(t, "drop:other")
	untag(t, root, "drop", "v1")
	p := collect(t, root, untagged())

	d := regtest.DigestOf(t, img)
	regtest.AssertMissing(t, regtest.RevisionLink(root, "drop", d))
	regtest.AssertMissing(t, layerLinks(root, "drop", regtest.BlobsOf(t, img)...)...)
	regtest.AssertExists(t, blobFiles(root, append(regtest.BlobsOf(t, img), d)...)...)
	if bs := values(p.Blobs()); len(bs) != 0 {
		t.Errorf("blobs removed: %v", bs)
	}
	r.AssertAllTagsWhole(t)
}

// A child deleted by digest (registry DELETE) from one repository while
// another repository's tagged index uses it: the other index stays whole
// (its blobs stay), and in the first repository, where the registry
// answers 404 for the child, gc does not follow it (issue 18): the
// child's layer links and its revision directory go, the index stays.
// Pushed back, the child makes a:v1 whole again.
func TestChildDeletedInOtherRepository(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	child := regtest.NewImage(t, regtest.WithPlatform("linux", "amd64"))
	r.PushIndex(t, "a:v1", child)
	r.PushIndex(t, "b:v1", child)
	cd := regtest.DigestOf(t, child)
	r.DeleteManifest(t, "a", cd)
	p := collect(t, root, untagged())

	r.AssertWhole(t, "b:v1")
	regtest.AssertMissing(t, layerLinks(root, "a", regtest.BlobsOf(t, child)...)...)
	regtest.AssertMissing(t, filepath.Dir(regtest.RevisionLink(root, "a", cd)))
	regtest.AssertExists(t, blobFiles(root, append(regtest.BlobsOf(t, child), cd)...)...)
	if len(p.Warnings) != 0 || len(p.Debris) != 1 || p.Debris[0].Digest.String() != cd.String() {
		t.Errorf("warnings %q, debris %v", p.Warnings, p.Debris)
	}
	r.Write(t, "a", child) // the child back by digest: a:v1 is whole again
	r.AssertAllTagsWhole(t)
}

// A repository whose tags are all gone is removed, but not the nested
// repository beneath it; a repository holding only an old upload goes too.
func TestEmptyRepositories(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	r.PushImage(t, "team:v1")
	r.PushImage(t, "team/app:v1")
	r.PushImage(t, "stale:v1")
	r.StartUpload(t, "stale", []byte("half a layer"))
	untag(t, root, "team", "v1")
	untag(t, root, "stale", "v1")
	opts := untagged()
	opts.UploadsOlderThan = -1 // every session is old enough
	p := collect(t, root, opts)

	if strings.Join(p.Repositories, ",") != "stale,team" || len(p.Uploads) != 1 {
		t.Errorf("repositories %v, uploads %v", p.Repositories, p.Uploads)
	}
	regtest.AssertMissing(t, regtest.RepoDir(root, "stale"), regtest.RepoDir(root, "team")+"/_manifests",
		regtest.RepoDir(root, "team")+"/_layers")
	r.AssertAllTagsWhole(t)
	r.AssertWhole(t, "team/app:v1")
}

// A corrupt tagged manifest refuses the sweep before anything is deleted,
// naming the tag, digest and reason.
func TestCorruptManifestFailsClosed(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	img := r.PushImage(t, "app:v1")
	r.PushImage(t, "app") // untagged: would be removed
	r.PushBlob(t, "app", []byte("orphan"))
	d := regtest.DigestOf(t, img)
	regtest.WriteBlobData(t, root, d, []byte(`{"schemaVersion": 2, "mediaType": "text/plain"}`))
	before := regtest.Snapshot(t, root)
	_, err := gc.NewPlan(context.Background(), openStorage(t, root), untagged())
	if !errors.Is(err, storage.ErrRefused) || !errors.Is(err, storage.ErrBadManifest) || !strings.Contains(err.Error(), "tag app:v1") ||
		!strings.Contains(err.Error(), d.String()) || !strings.Contains(err.Error(), "text/plain") {
		t.Fatalf("NewPlan error %v", err)
	}
	regtest.AssertUnchanged(t, root, before)
}

// Upload sessions go once started more than --uploads-older-than ago
// (their startedat file), not before.
func TestUploadsByAge(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	r.PushImage(t, "app:v1")
	id := r.StartUpload(t, "app", []byte("part of a layer"))
	opts := untagged()
	opts.UploadsOlderThan = gc.DefaultUploadsOlderThan
	if p := collect(t, root, opts); len(p.Uploads) != 0 {
		t.Errorf("fresh upload removed: %v", p.Uploads)
	}
	opts.Now = time.Now().Add(200 * time.Hour)
	opts.Grace = gc.DefaultGrace
	p := collect(t, root, opts)
	if len(p.Uploads) != 1 || p.Uploads[0].ID != id || p.Uploads[0].Started.IsZero() {
		t.Errorf("old upload: %+v", p.Uploads)
	}
	regtest.AssertMissing(t, regtest.UploadDir(root, "app", id))
	r.AssertAllTagsWhole(t)
}
