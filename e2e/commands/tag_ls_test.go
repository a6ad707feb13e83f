package commands

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/regtest"
)

// lsJSON runs tag ls --json and decodes its rows.
func lsJSON(t *testing.T, root string, args ...string) []map[string]any {
	t.Helper()
	res := mustRun(t, 0, append([]string{"--root", root, "--json", "tag", "ls"}, args...)...)
	var rows []map[string]any
	if err := json.Unmarshal([]byte(res.Stdout), &rows); err != nil {
		t.Fatalf("tag ls --json: %v\n%s", err, res.Stdout)
	}
	return rows
}

// reachSize is what a pull of repo:tag fetches, from the files on disk.
func reachSize(t *testing.T, root string, info regtest.SampleInfo, ref string) int64 {
	t.Helper()
	var n int64
	for _, d := range info.Reach[ref] {
		fi, err := os.Stat(regtest.BlobFile(root, d))
		if err != nil {
			t.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}

// TestTagLsJSON: one object per tag of every repository, nested ones
// included, with digest, media type, kind, push time and pull size.
func TestTagLsJSON(t *testing.T) {
	t.Parallel()
	root, info := regtest.LoadSample(t)
	pushed := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	regtest.SetPushed(t, root, "i", "T11", pushed)
	before := regtest.Snapshot(t, root)
	rows := lsJSON(t, root)
	if len(rows) != len(info.Tags) {
		t.Fatalf("%d rows, want %d (one per tag)", len(rows), len(info.Tags))
	}
	for _, row := range rows {
		ref := row["repository"].(string) + ":" + row["tag"].(string)
		for _, k := range []string{"repository", "tag", "digest", "media_type", "kind", "pushed", "size"} {
			if _, ok := row[k]; !ok {
				t.Errorf("%s: no %q in %v", ref, k, row)
			}
		}
		if row["digest"] != info.Tags[ref].String() {
			t.Errorf("%s: digest %v, want %s", ref, row["digest"], info.Tags[ref])
		}
		if got, want := int64(row["size"].(float64)), reachSize(t, root, info, ref); got != want {
			t.Errorf("%s: size %d, want %d (the blobs a pull fetches)", ref, got, want)
		}
		if _, err := time.Parse(time.RFC3339, row["pushed"].(string)); err != nil {
			t.Errorf("%s: pushed: %v", ref, err)
		}
		if _, bad := row["error"]; bad {
			t.Errorf("%s: error %v", ref, row["error"])
		}
	}
	byRef := func(ref string) map[string]any {
		for _, r := range rows {
			if r["repository"].(string)+":"+r["tag"].(string) == ref {
				return r
			}
		}
		t.Fatalf("no row for %s", ref)
		return nil
	}
	if r := byRef("team/app/api:v1"); r["kind"] != "index" || r["media_type"] != "application/vnd.docker.distribution.manifest.list.v2+json" {
		t.Errorf("the index: %v", r)
	}
	if r := byRef("i:T11"); r["kind"] != "image" || r["pushed"] != "2024-05-06T07:08:09Z" {
		t.Errorf("i:T11: %v", r)
	}
	regtest.AssertUnchanged(t, root, before)
}

// TestTagLsText: a table with a header, ages and sizes, and a count.
func TestTagLsText(t *testing.T) {
	t.Parallel()
	root, info := regtest.LoadSample(t)
	regtest.SetPushed(t, root, "i", "T11", time.Now().Add(-74*time.Hour))
	res := mustRun(t, 0, "--root", root, "tag", "ls", "i")
	lines := strings.Split(strings.TrimSuffix(res.Stdout, "\n"), "\n")
	if len(lines) != 9 || !strings.HasPrefix(lines[0], "REPOSITORY") || lines[8] != "7 tags in 1 repository" {
		t.Fatalf("tag ls i:\n%s", res.Stdout)
	}
	f := strings.Fields(lines[1])
	if f[0] != "i" || f[1] != "T11" || f[2] != info.Tags["i:T11"].String()[:19] || f[3] != "image" || f[5] != "3d" || f[7] != "KiB" {
		t.Errorf("row of i:T11: %q", lines[1])
	}
	if !strings.Contains(res.Stderr, "regprune: using filesystem storage "+root+" (from --root)\n") {
		t.Errorf("stderr: %q", res.Stderr)
	}
	if res := mustRun(t, 0, "--quiet", "--root", root, "tag", "ls", "i"); res.Stderr != "" {
		t.Errorf("--quiet: stderr %q", res.Stderr)
	}
}

// TestTagLsRepositories: REPO arguments are names or globs, nested names
// are their own repositories, and a REPO matching none is an error.
func TestTagLsRepositories(t *testing.T) {
	t.Parallel()
	root, _ := regtest.LoadSample(t)
	repos := func(args ...string) string {
		seen := map[string]bool{}
		var out []string
		for _, r := range lsJSON(t, root, args...) {
			if n := r["repository"].(string); !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
		return strings.Join(out, " ")
	}
	cases := map[string][]string{
		"a/b/c i team/app team/app/api": nil,
		"team/app":                      {"team/app"},
		"team/app/api":                  {"team/app/api"},
		"team/app team/app/api":         {"team/*/*", "team/*"},
		"a/b/c i":                       {"i", "a/*/c", "i"},
	}
	for want, args := range cases {
		if got := repos(args...); got != want {
			t.Errorf("tag ls %q: repositories %q, want %q", args, got, want)
		}
	}
	for _, args := range [][]string{{"team"}, {"nope"}, {"i", "x*"}} {
		res := mustRun(t, 1, append([]string{"--root", root, "tag", "ls"}, args...)...)
		if !strings.Contains(res.Stderr, "REPO \""+args[len(args)-1]+"\"") {
			t.Errorf("tag ls %q: stderr does not name the REPO:\n%s", args, res.Stderr)
		}
	}
	empty := t.TempDir()
	if err := os.MkdirAll(filepath.Join(regtest.V2Dir(empty), "repositories"), 0o755); err != nil {
		t.Fatal(err)
	}
	if rows := lsJSON(t, empty); rows == nil || len(rows) != 0 {
		t.Errorf("no tags: %v, want []", rows)
	}
}

// TestTagLsBroken: a missing or bad link or manifest shows in its row; the
// listing goes on (exit 0) and changes nothing.
func TestTagLsBroken(t *testing.T) {
	t.Parallel()
	root, info := regtest.LoadSample(t)
	regtest.WriteTagLink(t, root, "i", "T21", "sha256:"+strings.Repeat("0", 64)+"\n")
	if err := os.Remove(regtest.TagLink(root, "i", "T22")); err != nil {
		t.Fatal(err)
	}
	whole := reachSize(t, root, info, "team/app/api:v1")
	regtest.DeleteBlob(t, root, info.Tags["i:T51"])
	regtest.DeleteBlob(t, root, info.Children[1])
	before := regtest.Snapshot(t, root)
	errs := map[string]string{}
	size := map[string]int64{}
	for _, r := range lsJSON(t, root) {
		ref := r["repository"].(string) + ":" + r["tag"].(string)
		if e, ok := r["error"]; ok {
			errs[ref] = e.(string)
		}
		size[ref] = int64(r["size"].(float64))
	}
	want := map[string]string{
		"i:T21":           "bad link",
		"i:T22":           "not found",
		"i:T51":           info.Tags["i:T51"].String() + ": /docker/registry/v2/blobs",
		"team/app/api:v1": info.Children[1].String(),
	}
	if len(errs) != len(want) {
		t.Errorf("rows with errors: %v, want %d", errs, len(want))
	}
	for ref, w := range want {
		if !strings.Contains(errs[ref], w) {
			t.Errorf("%s: error %q does not say %q", ref, errs[ref], w)
		}
	}
	if s := size["team/app/api:v1"]; s <= 0 || s >= whole {
		t.Errorf("index with a missing child: size %d, want what could be read", s)
	}
	res := mustRun(t, 0, "--root", root, "tag", "ls", "i")
	if !strings.Contains(res.Stdout, "current link: ") || !strings.Contains(res.Stdout, "T51") {
		t.Errorf("text output:\n%s", res.Stdout)
	}
	regtest.AssertUnchanged(t, root, before)
}

// TestStorageDiscovery: with no flag, $REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY
// finds the root; --config reads the registry's config with its REGISTRY_*
// overrides; each run says how it found the storage. Not parallel: it sets
// the environment.
func TestStorageDiscovery(t *testing.T) {
	root, _ := regtest.LoadSample(t)
	t.Setenv("REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", root)
	res := mustRun(t, 0, "tag", "ls", "i")
	if !strings.Contains(res.Stderr, "using filesystem storage "+root+" (from $REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY)") ||
		!strings.Contains(res.Stdout, "7 tags in 1 repository") {
		t.Errorf("from the environment:\n%s%s", res.Stderr, res.Stdout)
	}
	cfg := filepath.Join(t.TempDir(), "config.yml")
	regtest.WriteFile(t, cfg, []byte("version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /nonexistent\n"))
	res = mustRun(t, 0, "--config", cfg, "tag", "rm", "--dry-run", "i:T12")
	if !strings.Contains(res.Stderr, "using filesystem storage "+root+" (from --config)") {
		t.Errorf("--config with the override:\n%s", res.Stderr)
	}
	res = mustRun(t, 1, "--root", t.TempDir(), "tag", "ls")
	if !strings.Contains(res.Stderr, "not a registry storage") {
		t.Errorf("a root without repositories:\n%s", res.Stderr)
	}
}
