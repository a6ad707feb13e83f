package gc_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/docker/distribution/registry/storage/driver"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/regprune/regprune/gc"
	"github.com/regprune/regprune/internal/faults"
	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
)

// blobReads counts the reads of blob data (manifests, for gc) through
// the driver.
type blobReads struct {
	*faults.Driver
	n *atomic.Int64
}

func (d blobReads) ReadFile(ctx context.Context, p string, limit int64) ([]byte, error) {
	if strings.HasPrefix(p, "/docker/registry/v2/blobs/") {
		d.n.Add(1)
	}
	return d.Driver.ReadFile(ctx, p, limit)
}

// openCounting opens root afresh (as another process would), counting
// reads of blob data in n.
func openCounting(t *testing.T, root string, n *atomic.Int64) *storage.Storage {
	t.Helper()
	st, err := storage.Open(context.Background(), storage.Location{Root: root, How: "test"},
		storage.WithDriverWrapper(func(d driver.StorageDriver) driver.StorageDriver { return blobReads{faults.Wrap(d), n} }))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func refCacheFile(root string) string {
	return filepath.Join(regtest.V2Dir(root), ".regprune", scan.RefCacheName)
}

// planOf plans with a fresh storage, returning the plan and how many
// blobs it read.
func planOf(t *testing.T, root string, opts gc.Options) (*gc.Plan, int64) {
	t.Helper()
	var n atomic.Int64
	p, err := gc.NewPlan(context.Background(), openCounting(t, root, &n), opts)
	if err != nil {
		t.Fatalf("NewPlan: %v", err)
	}
	return p, n.Load()
}

// coldPlan plans with the cache out of the way (put back afterwards).
func coldPlan(t *testing.T, root string, opts gc.Options) *gc.Plan {
	t.Helper()
	f := refCacheFile(root)
	b, err := os.ReadFile(f)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	_ = os.Remove(f)
	p, _ := planOf(t, root, opts)
	if b != nil {
		regtest.WriteFile(t, f, b)
	}
	return p
}

func samePlan(t *testing.T, got, want *gc.Plan) {
	t.Helper()
	g, w := planText(got), planText(want)
	if g != w {
		t.Fatalf("plan with the cache:\n%s\nwithout:\n%s", g, w)
	}
}

func planText(p *gc.Plan) string {
	var b strings.Builder
	for _, m := range values(p.Manifests()) {
		b.WriteString("manifest " + m.Repository + "@" + m.Digest.String() + "\n")
	}
	for _, l := range values(p.LayerLinks()) {
		b.WriteString("layer link " + l.Repository + "@" + l.Digest.String() + "\n")
	}
	for _, x := range values(p.Blobs()) {
		b.WriteString("blob " + x.Digest.String() + "\n")
	}
	for _, r := range p.Repositories {
		b.WriteString("repository " + r + "\n")
	}
	return b.String()
}

// TestRefCacheShared: a real run writes the cache; a second plan, from a
// fresh storage (another process, another machine) reads no manifest and
// plans what a plan without the cache plans; a dry run reads the cache
// and never writes it.
func TestRefCacheShared(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	kids := []v1.Image{regtest.NewImage(t, regtest.WithPlatform("linux", "amd64")), regtest.NewImage(t, regtest.WithPlatform("linux", "arm64"))}
	r.PushIndex(t, "multi:v1", kids...)
	r.PushImage(t, "app:v1")
	r.PushImage(t, "app:v2")
	r.PushImage(t, "app") // untagged
	opts := untagged()

	dry, reads := planOf(t, root, opts)
	if reads == 0 {
		t.Fatal("a plan without a cache read no manifest")
	}
	if regtest.Exists(t, refCacheFile(root)) {
		t.Fatal("a plan (a dry run) wrote the cache")
	}
	var n atomic.Int64
	st := openCounting(t, root, &n)
	p, err := gc.NewPlan(context.Background(), st, opts)
	if err != nil {
		t.Fatal(err)
	}
	samePlan(t, p, dry)
	if _, err := p.Execute(context.Background(), st, journaled(t, st, opts), nil); err != nil {
		t.Fatal(err)
	}
	if !regtest.Exists(t, refCacheFile(root)) {
		t.Fatal("a real run wrote no cache")
	}
	before, err := os.ReadFile(refCacheFile(root))
	if err != nil {
		t.Fatal(err)
	}
	second, reads := planOf(t, root, opts)
	if reads != 0 {
		t.Errorf("a second plan read %d manifests", reads)
	}
	samePlan(t, second, coldPlan(t, root, opts))
	after, _ := os.ReadFile(refCacheFile(root))
	if string(after) != string(before) {
		t.Error("a plan changed the cache")
	}
	// The removed manifest's entry is gone from the cache.
	entries, err := scan.DecodeRefCache(before)
	if err != nil {
		t.Fatal(err)
	}
	if want := 5; len(entries) != want { // index, 2 children, app:v1, app:v2
		t.Errorf("cache of %d entries, want %d", len(entries), want)
	}
	r.AssertAllTagsWhole(t)
}

// TestRefCacheDamaged: a cache corrupted, truncated or of another version
// is ignored whole: the plan is the plan without it, made by reading the
// manifests, and a real run writes a good cache again.
func TestRefCacheDamaged(t *testing.T) {
	t.Parallel()
	for name, damage := range map[string]func([]byte) []byte{
		"corrupted": func(b []byte) []byte { b[len(b)/2] ^= 1; return b },
		"truncated": func(b []byte) []byte { return b[:len(b)-7] },
		"version": func(b []byte) []byte {
			return []byte(strings.Replace(string(b), "manifest-refs 1 ", "manifest-refs 9 ", 1))
		},
		"empty": func([]byte) []byte { return nil },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			r := regtest.Start(t, root)
			r.PushImage(t, "app:v1")
			img := r.PushImage(t, "app:v2")
			collect(t, root, untagged())
			b, err := os.ReadFile(refCacheFile(root))
			if err != nil {
				t.Fatal(err)
			}
			regtest.WriteFile(t, refCacheFile(root), damage(b))
			untag(t, root, "app", "v2")
			p, reads := planOf(t, root, untagged())
			if reads == 0 {
				t.Error("a damaged cache was used")
			}
			samePlan(t, p, coldPlan(t, root, untagged()))
			if len(values(p.Manifests())) != 1 || values(p.Manifests())[0].Digest != dg(t, regtest.DigestOf(t, img)) {
				t.Errorf("plan removes %v, want app:v2's manifest", values(p.Manifests()))
			}
			collect(t, root, untagged())
			b, _ = os.ReadFile(refCacheFile(root))
			if _, err := scan.DecodeRefCache(b); err != nil {
				t.Errorf("the cache was not rebuilt: %v", err)
			}
			r.AssertAllTagsWhole(t)
		})
	}
}

// TestRefCacheBlobReplaced: a manifest blob whose content changed after
// it was cached (same digest path, other bytes) is read again: gc keeps
// what the blob now references, as without a cache.
func TestRefCacheBlobReplaced(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	a := r.PushImage(t, "app:a")
	b := r.PushImage(t, "app:b")
	collect(t, root, untagged())
	// a's manifest blob now holds b's manifest: a's layers are no longer
	// referenced by any manifest (the plan says so), b's still are.
	bm, err := os.ReadFile(regtest.BlobFile(root, regtest.DigestOf(t, b)))
	if err != nil {
		t.Fatal(err)
	}
	regtest.WriteBlobData(t, root, regtest.DigestOf(t, a), bm)
	p, reads := planOf(t, root, untagged())
	if reads != 1 {
		t.Errorf("%d manifests read, want the replaced one", reads)
	}
	samePlan(t, p, coldPlan(t, root, untagged()))
	if len(values(p.LayerLinks())) == 0 {
		t.Fatal("the plan kept a's layers: the cache answered for a blob that changed")
	}
}

// TestRefCacheWriteFaults: a cache write that fails leaves the old cache
// or none (the run itself succeeds), and the next plan is right.
func TestRefCacheWriteFaults(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	r.PushImage(t, "app:v1")
	img := r.PushImage(t, "app:v2")
	var f *faults.Driver
	st, err := storage.Open(context.Background(), storage.Location{Root: root, How: "test"},
		storage.WithDriverWrapper(func(d driver.StorageDriver) driver.StorageDriver { f = faults.Wrap(d); return f }))
	if err != nil {
		t.Fatal(err)
	}
	f.FailAll(faults.PutContent)
	p, err := gc.NewPlan(context.Background(), st, untagged())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Execute(context.Background(), st, journaledOn(t, root, untagged()), nil); err != nil {
		t.Fatalf("a failed cache write failed the run: %v", err)
	}
	if regtest.Exists(t, refCacheFile(root)) {
		t.Fatal("a cache was written through a failing driver")
	}
	untag(t, root, "app", "v2")
	p2, _ := planOf(t, root, untagged())
	if len(values(p2.Manifests())) != 1 || values(p2.Manifests())[0].Digest != dg(t, regtest.DigestOf(t, img)) {
		t.Errorf("plan removes %v, want app:v2's manifest", values(p2.Manifests()))
	}
}

// journaledOn gives opts a journal on a storage of its own (the journal's
// writes are not the faults under test).
func journaledOn(t *testing.T, root string, opts gc.Options) gc.Options {
	t.Helper()
	return journaled(t, openStorage(t, root), opts)
}
