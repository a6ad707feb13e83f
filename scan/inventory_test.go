package scan_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/scan"
)

// sizes maps every blob of an image or index (manifest included) to its
// size, as go-containerregistry computed them when it pushed.
type sizes map[v1.Hash]int64

func (s sizes) image(t *testing.T, img v1.Image) sizes {
	t.Helper()
	d, _ := img.Digest()
	n, _ := img.Size()
	s[d] = n
	cd, _ := img.ConfigName()
	raw, _ := img.RawConfigFile()
	s[cd] = int64(len(raw))
	for _, l := range regtest.LayersOf(t, img) {
		ld, _ := l.Digest()
		ls, _ := l.Size()
		s[ld] = ls
	}
	return s
}

func (s sizes) index(t *testing.T, idx v1.ImageIndex, children ...v1.Image) sizes {
	t.Helper()
	d, _ := idx.Digest()
	n, _ := idx.Size()
	s[d] = n
	for _, c := range children {
		s.image(t, c)
	}
	return s
}

func (s sizes) total() (n int64) {
	for _, v := range s {
		n += v
	}
	return n
}

func usageOf(t *testing.T, inv *scan.Inventory, repo string) scan.RepositoryUsage {
	t.Helper()
	for _, u := range inv.Repositories {
		if u.Name == repo {
			return u
		}
	}
	t.Fatalf("no repository %s in inventory", repo)
	return scan.RepositoryUsage{}
}

func TestInventoryMatchesPushedSizes(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	base := regtest.RandomLayer(t, 4000)
	a1 := r.PushImage(t, "a:v1", regtest.WithSharedLayers(base), regtest.WithLayers(2, 1000))
	x := r.PushImage(t, "a:tmp", regtest.WithLayers(1, 3000))
	y := r.PushImage(t, "a:tmp", regtest.WithLayers(1, 200))
	b1 := r.PushImage(t, "team/b:v1", regtest.WithSharedLayers(base), regtest.WithLayers(1, 300))
	amd := regtest.NewImage(t, regtest.WithPlatform("linux", "amd64"), regtest.WithLayers(1, 100))
	arm := regtest.NewImage(t, regtest.WithPlatform("linux", "arm64"), regtest.WithLayers(1, 100))
	idx := r.PushIndex(t, "multi:v1", amd, arm)
	orphan := writeOrphan(t, root, []byte("an orphan blob, in no repository"))
	startUpload(t, r, "team/b")

	before := regtest.Snapshot(t, root)
	start := time.Now()
	inv, err := scan.Take(t.Context(), openReadOnly(t, root), scan.InventoryOptions{Jobs: 4})
	if err != nil {
		t.Fatal(err)
	}
	regtest.AssertUnchanged(t, root, before)
	baseD := regtest.DigestOf(t, base)
	baseSize, _ := base.Size()

	aSizes := sizes{}.image(t, a1).image(t, x).image(t, y)
	bSizes := sizes{}.image(t, b1)
	mSizes := sizes{}.index(t, idx, amd, arm)
	want := map[string]scan.RepositoryUsage{
		"a":      {Name: "a", Tags: 2, Manifests: 3, Untagged: 1, Referenced: aSizes.total(), Shared: baseSize, Only: aSizes.total() - baseSize},
		"team/b": {Name: "team/b", Tags: 1, Manifests: 1, Referenced: bSizes.total(), Shared: baseSize, Only: bSizes.total() - baseSize, Uploads: 1},
		"multi":  {Name: "multi", Tags: 1, Manifests: 3, Referenced: mSizes.total(), Only: mSizes.total()},
	}
	for name, w := range want {
		if got := usageOf(t, inv, name); got != w {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, w)
		}
	}
	if inv.Repositories[0].Name != "a" || inv.Repositories[1].Name != "multi" || inv.Repositories[2].Name != "team/b" {
		t.Errorf("not sorted by bytes held alone: %+v", inv.Repositories)
	}
	all := sizes{}
	for _, s := range []sizes{aSizes, bSizes, mSizes} {
		for d, n := range s {
			all[d] = n
		}
	}
	if _, ok := all[baseD]; !ok {
		t.Fatal("base layer not among the blobs")
	}
	tot := inv.Totals
	if tot.Referenced != all.total() || tot.Blobs != len(all)+1 || tot.OrphanBlobs != 1 || tot.OrphanBytes != orphan {
		t.Errorf("totals %+v; want referenced %d, blobs %d, 1 orphan of %d bytes", tot, all.total(), len(all)+1, orphan)
	}
	if tot.Tags != 4 || tot.Manifests != 7 || tot.Untagged != 1 || tot.Uploads != 1 || tot.Repositories != 3 {
		t.Errorf("totals %+v", tot)
	}
	if len(inv.Uploads) != 1 || inv.Uploads[0].Repository != "team/b" || inv.Uploads[0].Started.Before(start.Add(-time.Minute)) {
		t.Errorf("uploads %+v", inv.Uploads)
	}
	if len(inv.Warnings) != 0 {
		t.Errorf("warnings on a clean registry: %v", inv.Warnings)
	}
}

// writeOrphan puts a blob in the blob store that no repository links.
func writeOrphan(t *testing.T, root string, content []byte) int64 {
	t.Helper()
	sum := sha256.Sum256(content)
	d := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
	p := regtest.BlobFile(root, d)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return int64(len(content))
}

// startUpload opens an upload session through the registry API and
// leaves it unfinished.
func startUpload(t *testing.T, r *regtest.Registry, repo string) {
	t.Helper()
	resp, err := http.Post("http://"+r.Host+"/v2/"+repo+"/blobs/uploads/", "application/octet-stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("start upload in %s: %s", repo, resp.Status)
	}
}

func TestAttributeSumsToFreed(t *testing.T) {
	t.Parallel()
	inv := &scan.Inventory{Repositories: []scan.RepositoryUsage{{Name: "a"}, {Name: "b"}}}
	inv.Attribute([]scan.Reclaim{
		{Size: 10, Repositories: []string{"a"}},
		{Size: 5, Repositories: []string{"a"}},
		{Size: 7, Repositories: []string{"b"}},
		{Size: 100, Repositories: []string{"a", "b"}},
		{Size: 1000},
		{Size: 3, Repositories: []string{"gone"}},
	})
	u := inv.Repositories
	tot := inv.Totals
	if u[0].Reclaimable != 15 || u[1].Reclaimable != 7 || tot.ReclaimableShared != 100 ||
		tot.ReclaimableOrphans != 1000 || tot.ReclaimableOnly != 25 || tot.Reclaimable != 1125 {
		t.Errorf("attribution %+v %+v", u, tot)
	}
	if tot.Reclaimable != tot.ReclaimableOnly+tot.ReclaimableShared+tot.ReclaimableOrphans {
		t.Error("parts do not add up")
	}
}

func FuzzParseStartedAt(f *testing.F) {
	for _, s := range []string{"2024-05-01T10:00:00Z", "2024-05-01T10:00:00.123456789+02:00\n", "", "yesterday", "2024-13-01T00:00:00Z"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := scan.ParseStartedAt(b)
		if err != nil {
			if !got.IsZero() {
				t.Errorf("error with a time: %v", got)
			}
			return
		}
		again, err := scan.ParseStartedAt([]byte(got.Format(time.RFC3339Nano)))
		if err != nil || !again.Equal(got) {
			t.Errorf("%v does not round-trip: %v %v", got, again, err)
		}
	})
}
