package gc_test

import (
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/regprune/regprune/gc"
	"github.com/regprune/regprune/internal/regtest"
)

// An OCI referrer (go-containerregistry writes the fallback tag
// sha256-<hex>) and a cosign .sig tag are kept while their subject lives,
// and removed with what only they reach when the subject's tag goes.
func TestReferrersFollowTheirSubject(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	subject := regtest.DigestOf(t, r.PushImage(t, "app:v1"))
	ref := r.PushReferrer(t, "app", subject)
	sig := r.PushCosignSignature(t, "app", subject)
	r.PushImage(t, "app:v2")
	p := collect(t, root, untagged())
	if c := p.Counts(); c.Tags+c.Manifests+c.Blobs != 0 {
		t.Fatalf("subject live, yet gc removes %+v", p.Counts())
	}
	r.AssertAllTagsWhole(t)

	untag(t, root, "app", "v1")
	p = collect(t, root, untagged())
	if c := p.Counts(); c.Tags != 2 || c.Manifests < 4 {
		t.Errorf("counts %+v, want 2 tags and at least subject, referrer, fallback index, signature", c)
	}
	for _, img := range []v1.Image{ref, sig} {
		regtest.AssertMissing(t, regtest.RevisionLink(root, "app", regtest.DigestOf(t, img)))
	}
	regtest.AssertMissing(t, regtest.TagDir(root, "app", regtest.FallbackTag(subject)),
		regtest.TagDir(root, "app", regtest.FallbackTag(subject)+".sig"), regtest.BlobFile(root, subject))
	r.AssertAllTagsWhole(t)
}

// --keep-orphan-referrers keeps referrer tags whose subject is gone, and
// a referrer tag pushed within the grace period is kept too.
func TestOrphanReferrersKept(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	subject := regtest.DigestOf(t, r.PushImage(t, "app:v1"))
	sig := r.PushCosignSignature(t, "app", subject)
	untag(t, root, "app", "v1")

	opts := untagged()
	opts.KeepOrphanReferrers = true
	p := collect(t, root, opts)
	if len(p.Tags) != 0 {
		t.Errorf("tags removed: %v", p.Tags)
	}
	regtest.AssertExists(t, regtest.RevisionLink(root, "app", regtest.DigestOf(t, sig)))

	opts = untagged()
	opts.Grace = time.Hour
	p = collect(t, root, opts)
	if len(p.Tags) != 0 || p.KeptRecent == 0 {
		t.Errorf("fresh referrer tag: removed %v, kept recent %d", p.Tags, p.KeptRecent)
	}
	r.AssertAllTagsWhole(t)
}

// Grace keeps fresh objects: an untagged manifest, an orphan blob and an
// unused layer link written just now survive --grace 1h and go once they
// are older (Now moved past the grace).
func TestGraceKeepsFreshObjects(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	r.PushImage(t, "app:v1")
	fresh := r.PushImage(t, "app")
	blob := r.PushBlob(t, "app", []byte("just uploaded"))
	opts := untagged()
	opts.Grace = time.Hour
	p := collect(t, root, opts)
	if c := p.Counts(); c != (gc.Counts{}) || p.KeptRecent != 2 { // the revision and the layer link (which keeps its blob)
		t.Errorf("within grace: counts %+v, kept recent %d", c, p.KeptRecent)
	}
	regtest.AssertExists(t, regtest.RevisionLink(root, "app", regtest.DigestOf(t, fresh)), regtest.BlobFile(root, blob))

	opts.Now = time.Now().Add(2 * time.Hour)
	p = collect(t, root, opts)
	if c := p.Counts(); c.Manifests != 1 || c.Blobs < 2 || p.KeptRecent != 0 {
		t.Errorf("past grace: counts %+v, kept recent %d", c, p.KeptRecent)
	}
	regtest.AssertMissing(t, regtest.RevisionLink(root, "app", regtest.DigestOf(t, fresh)), regtest.BlobFile(root, blob))
	r.AssertAllTagsWhole(t)
}
