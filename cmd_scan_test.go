package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/regprune/regprune/internal/regtest"
)

func TestIECBytes(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB",
		1288490189: "1.2 GiB", 5 << 40: "5.0 TiB", 1 << 62: "4.0 EiB"} {
		if got := iecBytes(n); got != want {
			t.Errorf("iecBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

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
