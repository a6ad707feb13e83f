package commands

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/regprune/regprune/internal/regtest"
)

type scanJSON struct {
	Repositories []struct {
		Repository string `json:"repository"`
		Tags       int    `json:"tags"`
		Only       int64  `json:"only_bytes"`
		Referenced int64  `json:"referenced_bytes"`
	} `json:"repositories"`
	Totals struct {
		Reclaimable int64 `json:"reclaimable_bytes"`
		Referenced  int64 `json:"referenced_bytes"`
		Uploads     int   `json:"uploads"`
	} `json:"totals"`
	Uploads []struct{ Repository, ID string } `json:"upload_sessions"`
	Grace   string                            `json:"grace"`
}

func TestScanCommandOutput(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	r.PushImage(t, "big:v1", regtest.WithLayers(2, 8000))
	r.PushImage(t, "team/small:v1", regtest.WithLayers(1, 100))
	before := regtest.Snapshot(t, root)

	out := mustRun(t, 0, "--root", root, "scan")
	lines := strings.Split(out.Stdout, "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	if !strings.HasPrefix(lines[0], "REPOSITORY") || !strings.HasPrefix(lines[1], "big ") || !strings.HasPrefix(lines[2], "team/small ") {
		t.Errorf("scan table not sorted by bytes held alone:\n%s", out.Stdout)
	}
	for _, want := range []string{"KiB", "registry (2 repositories)", "gc --delete-untagged --grace 1h would free", "orphan blobs", "upload sessions: 0"} {
		if !strings.Contains(out.Stdout, want) {
			t.Errorf("scan output lacks %q:\n%s", want, out.Stdout)
		}
	}

	out = mustRun(t, 0, "--root", root, "--json", "scan", "--repo", "team/*", "--grace", "0")
	var doc scanJSON
	if err := json.Unmarshal([]byte(out.Stdout), &doc); err != nil {
		t.Fatalf("--json: %v\n%s", err, out.Stdout)
	}
	if len(doc.Repositories) != 1 || doc.Repositories[0].Repository != "team/small" || doc.Repositories[0].Tags != 1 ||
		doc.Repositories[0].Only != doc.Repositories[0].Referenced || doc.Grace != "0s" {
		t.Errorf("--json --repo team/*: %+v", doc)
	}
	if doc.Totals.Referenced <= doc.Repositories[0].Referenced {
		t.Errorf("totals are not registry-wide: %+v", doc.Totals)
	}
	mustRun(t, 1, "--root", root, "scan", "--repo", "nothing")
	mustRun(t, 2, "--root", root, "scan", "--grace", "soon")
	regtest.AssertUnchanged(t, root, before)
}

// pushedSize is the bytes an image's manifest, config and the given
// layers take in the blob store, as go-containerregistry computed them.
func pushedSize(t *testing.T, img v1.Image, layers ...v1.Layer) int64 {
	t.Helper()
	n, _ := img.Size()
	raw, _ := img.RawConfigFile()
	n += int64(len(raw))
	for _, l := range layers {
		s, _ := l.Size()
		n += s
	}
	return n
}

type reclaimJSON struct {
	Repositories []struct {
		Repository  string `json:"repository"`
		Reclaimable int64  `json:"reclaimable_bytes"`
	} `json:"repositories"`
	Totals struct {
		Reclaimable int64 `json:"reclaimable_bytes"`
		Only        int64 `json:"reclaimable_single_repository_bytes"`
		Shared      int64 `json:"reclaimable_shared_bytes"`
		Orphans     int64 `json:"reclaimable_orphan_bytes"`
	} `json:"totals"`
	GCRefuses string `json:"gc_refuses"`
}

func scanReclaim(t *testing.T, root string) (reclaimJSON, map[string]int64) {
	t.Helper()
	out := mustRun(t, 0, "--root", root, "--json", "scan", "--grace", "0")
	var doc reclaimJSON
	if err := json.Unmarshal([]byte(out.Stdout), &doc); err != nil {
		t.Fatalf("scan --json: %v\n%s", err, out.Stdout)
	}
	per := map[string]int64{}
	for _, r := range doc.Repositories {
		per[r.Repository] = r.Reclaimable
	}
	return doc, per
}

// TestScanPredictsGC: what scan says gc --delete-untagged frees, per
// repository and in total, is what the pushed images weigh and what gc
// then frees, byte for byte.
func TestScanPredictsGC(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	x := r.PushImage(t, "a:tmp", regtest.WithLayers(2, 3000))
	r.PushImage(t, "a:tmp", regtest.WithLayers(1, 100)) // x is now untagged
	loose := []byte("a blob pushed without a manifest")
	r.PushBlob(t, "a", loose)
	shared := regtest.RandomLayer(t, 5000)
	pb := r.PushImage(t, "b:tmp", regtest.WithSharedLayers(shared), regtest.WithLayers(1, 700))
	r.PushImage(t, "b:tmp", regtest.WithLayers(1, 100))
	pc := r.PushImage(t, "c:tmp", regtest.WithSharedLayers(shared), regtest.WithLayers(1, 900))
	r.PushImage(t, "c:tmp", regtest.WithLayers(1, 100))
	orphan := r.PushBlob(t, "d", []byte("an orphan: its layer link is gone"))
	if err := os.RemoveAll(filepath.Dir(regtest.LayerLink(root, "d", orphan))); err != nil {
		t.Fatal(err)
	}
	amd := regtest.NewImage(t, regtest.WithPlatform("linux", "amd64"))
	r.PushIndex(t, "multi:v1", amd) // its untagged child stays: nothing to free

	doc, per := scanReclaim(t, root)
	sharedSize, _ := shared.Size()
	want := map[string]int64{
		"a":     pushedSize(t, x, regtest.LayersOf(t, x)...) + int64(len(loose)),
		"b":     pushedSize(t, pb, regtest.LayersOf(t, pb)[1:]...),
		"c":     pushedSize(t, pc, regtest.LayersOf(t, pc)[1:]...),
		"multi": 0,
		"d":     0,
	}
	for repo, w := range want {
		if per[repo] != w {
			t.Errorf("scan: %s frees %d, want %d", repo, per[repo], w)
		}
	}
	orphanSize := int64(len("an orphan: its layer link is gone"))
	if doc.Totals.Shared != sharedSize || doc.Totals.Orphans != orphanSize ||
		doc.Totals.Only != want["a"]+want["b"]+want["c"] ||
		doc.Totals.Reclaimable != doc.Totals.Only+doc.Totals.Shared+doc.Totals.Orphans {
		t.Errorf("scan totals %+v; want shared %d, orphans %d", doc.Totals, sharedSize, orphanSize)
	}

	out := mustRun(t, 0, "--root", root, "--json", "gc", "--delete-untagged", "--grace", "0")
	var sum struct {
		FreedBytes int64 `json:"freed_bytes"`
	}
	if err := json.Unmarshal([]byte(out.Stdout), &sum); err != nil {
		t.Fatalf("gc --json: %v\n%s", err, out.Stdout)
	}
	if sum.FreedBytes != doc.Totals.Reclaimable {
		t.Errorf("gc freed %d bytes, scan predicted %d", sum.FreedBytes, doc.Totals.Reclaimable)
	}
	r.AssertAllTagsWhole(t)
	mustRun(t, 0, "--root", root, "check", "--verify-digests")
	if doc, _ = scanReclaim(t, root); doc.Totals.Reclaimable != 0 {
		t.Errorf("after gc scan still predicts %d bytes", doc.Totals.Reclaimable)
	}
}

func TestScanWhenGCWouldRefuse(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	img := r.PushImage(t, "bad:v1")
	r.PushImage(t, "good:v1")
	regtest.TruncateBlob(t, root, regtest.DigestOf(t, img))
	out := mustRun(t, 0, "--root", root, "scan")
	if !strings.Contains(out.Stdout, "gc --delete-untagged would refuse to run") || !strings.Contains(out.Stdout, "good") {
		t.Errorf("scan output:\n%s", out.Stdout)
	}
	doc, _ := scanReclaim(t, root)
	if !strings.Contains(doc.GCRefuses, regtest.DigestOf(t, img).Hex) {
		t.Errorf("gc_refuses %q does not name the manifest", doc.GCRefuses)
	}
}
