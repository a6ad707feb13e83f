package hostile

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/regprune/regprune/internal/regtest"
)

// tree is one copy of the sample registry with a canary beside it.
type tree struct {
	root   string
	info   regtest.SampleInfo
	canary *canary
	log    string // a registry access log for pulls record (outside the root)
}

// newTree copies the sample registry (pushed through the in-process
// registry; regtest.TestSample keeps the copy identical) and makes a
// canary. With journal, tag rm i:T21 runs first, so that restore has
// something to put back.
func newTree(t testing.TB, journal bool) *tree {
	t.Helper()
	root, info := regtest.LoadSample(t)
	tr := &tree{root: root, info: info, canary: newCanary(t), log: filepath.Join(t.TempDir(), "access.log")}
	line := `127.0.0.1 - - [02/Dec/2026:06:59:51 +0000] "GET /v2/i/manifests/T11 HTTP/1.1" 200 423 "" "crane/v0.22.1"` + "\n"
	if err := os.WriteFile(tr.log, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	if journal {
		if r := run(t, "--root", root, "tag", "rm", "i:T21"); r.Code != 0 {
			t.Fatalf("setup: %s", r)
		}
	}
	return tr
}

// digest is the manifest digest of tag ("repo:tag") in the sample.
func (tr *tree) digest(tag string) v1.Hash { return tr.info.Tags[tag] }

// layer is a blob that only tag reaches (a layer or config, not the
// manifest, not the base layer).
func (tr *tree) layer(t testing.TB, tag string) v1.Hash {
	t.Helper()
	for _, d := range tr.info.Reach[tag] {
		if d == tr.digest(tag) || d == tr.info.Base {
			continue
		}
		only := true
		for other, reach := range tr.info.Reach {
			if other != tag && slices.Contains(reach, d) {
				only = false
			}
		}
		if only {
			return d
		}
	}
	t.Fatalf("no blob only %s reaches", tag)
	return v1.Hash{}
}

// blobDir is the directory of blob d.
func (tr *tree) blobDir(d v1.Hash) string { return filepath.Dir(regtest.BlobFile(tr.root, d)) }

// tagLink is the current link of tag ("repo:tag").
func (tr *tree) tagLink(tag string) string {
	repo, name, _ := strings.Cut(tag, ":")
	return regtest.TagLink(tr.root, repo, name)
}

// repairLink writes tag's current link as the registry would, whatever
// is in its place (a symlink, a pipe, a directory).
func (tr *tree) repairLink(t testing.TB, tag string) {
	t.Helper()
	p := tr.tagLink(tag)
	if fi, err := os.Lstat(filepath.Dir(p)); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		if err := os.Remove(filepath.Dir(p)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.RemoveAll(p); err != nil {
		t.Fatal(err)
	}
	regtest.WriteLink(t, p, tr.digest(tag).String())
}

// assertWhole serves the root with the in-process registry and fails t
// unless every tag it lists pulls whole, every blob validated.
func (tr *tree) assertWhole(t testing.TB) {
	t.Helper()
	regtest.Start(t, tr.root).AssertAllTagsWhole(t)
}
