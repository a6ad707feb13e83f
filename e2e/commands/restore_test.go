package commands

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/regtest"
)

// undoRefs are tags of the sample of every kind: one sharing its manifest
// with another tag (i:T12, T13), one pushed twice (history of two), a
// multi-platform index, and the subject of a cosign signature.
var undoRefs = []string{"i:T12", "team/app:latest", "team/app/api:v1", "a/b/c:1.0"}

// servedAged is the served sample with a distinct push time per tag, days
// in the past, so that a restored push time cannot be "now" by chance.
func servedAged(t *testing.T) (*regtest.Registry, regtest.SampleInfo) {
	t.Helper()
	r, info := served(t)
	refs := make([]string, 0, len(info.Tags))
	for ref := range info.Tags {
		refs = append(refs, ref)
	}
	slices.Sort(refs)
	base := time.Date(2026, 1, 2, 3, 4, 5, 678901234, time.UTC)
	for i, ref := range refs {
		repo, tag, _ := strings.Cut(ref, ":")
		regtest.SetPushed(t, r.Root, repo, tag, base.Add(time.Duration(i)*26*time.Hour))
	}
	return r, info
}

// storageTree is the snapshot of the registry's own files: without the
// journal and the lock, which regprune's runs add.
func storageTree(t *testing.T, root string) regtest.Tree {
	t.Helper()
	tree := regtest.Snapshot(t, root).WithoutJournal()
	delete(tree, "docker/registry/v2/.regprune.lock")
	delete(tree, "docker/registry/v2/.regprune")
	delete(tree, "docker/registry/v2") // its listing holds both
	return tree
}

func pushTimes(t *testing.T, root string, refs []string) map[string]time.Time {
	t.Helper()
	out := map[string]time.Time{}
	for _, ref := range refs {
		repo, tag, _ := strings.Cut(ref, ":")
		fi, err := os.Stat(regtest.TagLink(root, repo, tag))
		if err != nil {
			t.Fatal(err)
		}
		out[ref] = fi.ModTime()
	}
	return out
}

// onlyRun is the one run a command added to the journal.
func onlyRun(t *testing.T, root string, before regtest.Tree) string {
	t.Helper()
	recs := newRecords(before, regtest.Snapshot(t, root))
	if len(recs) != 1 {
		t.Fatalf("the run added %d journal records: %q", len(recs), recs)
	}
	return recs[0]
}

// tag rm, then restore RUN: every tag back, pulling whole through the
// registry, with its push time; the registry's files are byte for byte
// what they were. A second restore finds them there and changes nothing.
func TestRestoreAfterTagRm(t *testing.T) {
	t.Parallel()
	r, _ := servedAged(t)
	want := storageTree(t, r.Root)
	pushed := pushTimes(t, r.Root, undoRefs)
	before := regtest.Snapshot(t, r.Root)
	mustRun(t, 0, append([]string{"--root", r.Root, "tag", "rm"}, undoRefs...)...)
	run := onlyRun(t, r.Root, before)
	for _, ref := range undoRefs {
		r.AssertGone(t, ref)
	}
	list := mustRun(t, 0, "--root", r.Root, "tag", "ls", "--removed")
	for _, ref := range undoRefs {
		repo, tag, _ := strings.Cut(ref, ":")
		if !strings.Contains(list.Stdout, repo+" ") || !strings.Contains(list.Stdout, " "+tag+" ") {
			t.Errorf("tag ls --removed does not list %s:\n%s", ref, list.Stdout)
		}
	}
	res := mustRun(t, 0, "--root", r.Root, "restore", run)
	if !strings.Contains(res.Stdout, "restore: restored 4 of 4 tags; 0 already there, 0 kept (pushed again), 0 gone") {
		t.Errorf("restore output:\n%s", res.Stdout)
	}
	for _, ref := range undoRefs {
		r.AssertWhole(t, ref)
	}
	r.AssertAllTagsWhole(t)
	if got := pushTimes(t, r.Root, undoRefs); !mapsEqualTimes(got, pushed) {
		t.Errorf("push times after restore %v, want %v", got, pushed)
	}
	if d := want.Diff(storageTree(t, r.Root)); len(d) > 0 {
		t.Errorf("after tag rm and restore the registry's files differ (%d):\n%s", len(d), strings.Join(d, "\n"))
	}
	mustRun(t, 0, "--root", r.Root, "check")

	again := regtest.Snapshot(t, r.Root)
	res = mustRun(t, 0, "--root", r.Root, "restore", "i:T1*", "team/app:*", "team/app/api:v?", "a/b/c:1.0")
	if !strings.Contains(res.Stdout, "restored 0 of 4 tags; 4 already there") {
		t.Errorf("second restore:\n%s", res.Stdout)
	}
	regtest.AssertUnchanged(t, r.Root, again)
}

func mapsEqualTimes(a, b map[string]time.Time) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !b[k].Equal(v) {
			return false
		}
	}
	return true
}

// pruneUndo removes, by prune, every tag of undoRefs' repositories but
// the newest pushed of each, and runs its gc.
var pruneUndo = []string{"prune", "--repo", "i", "--repo", "team/app", "--repo", "team/app/api", "--repo", "a/b/c",
	"--keep-last", "1", "--grace", "0"}

// prune --keep-removed 7d, then restore: gc ran, yet every pruned tag
// comes back whole.
func TestRestoreAfterPruneWithWindow(t *testing.T) {
	t.Parallel()
	r, _ := servedAged(t)
	tags := r.Tags(t)
	before := regtest.Snapshot(t, r.Root)
	res := mustRun(t, 0, append(append([]string{"--root", r.Root}, pruneUndo...), "--keep-removed", "7d")...)
	if !strings.Contains(res.Stdout, "of removed tags for restore (--keep-removed)") {
		t.Errorf("prune's gc summary does not say what the window keeps:\n%s", res.Stdout)
	}
	run := onlyRun(t, r.Root, before)
	if got := r.Tags(t); slices.Equal(got["i"], tags["i"]) {
		t.Fatalf("prune removed nothing from i: %v", got["i"])
	}
	mustRun(t, 0, "--root", r.Root, "restore", run)
	if got := r.Tags(t); !equalTagSets(got, tags) {
		t.Errorf("tags after restore %v, want %v", got, tags)
	}
	r.AssertAllTagsWhole(t)
	mustRun(t, 0, "--root", r.Root, "check")
}

func equalTagSets(a, b map[string][]string) bool {
	for repo, ts := range a {
		if !slices.Equal(ts, b[repo]) {
			return false
		}
	}
	for repo, ts := range b {
		if !slices.Equal(ts, a[repo]) {
			return false
		}
	}
	return true
}

// Without the window, gc collects what the removed tags reached: restore
// says the manifest is gone, and by which gc run, and changes nothing.
func TestRestoreWithoutWindowSaysGone(t *testing.T) {
	t.Parallel()
	r, _ := servedAged(t)
	before := regtest.Snapshot(t, r.Root)
	mustRun(t, 0, "--root", r.Root, "tag", "rm", "team/app/api:v1", "a/b/c:1.0")
	run := onlyRun(t, r.Root, before)
	mustRun(t, 0, "--root", r.Root, "gc", "--delete-untagged", "--grace", "0")
	list := mustRun(t, 0, "--root", r.Root, "tag", "ls", "--removed")
	if !strings.Contains(list.Stdout, "0 removed tags restorable") {
		t.Errorf("tag ls --removed after gc:\n%s", list.Stdout)
	}
	after := regtest.Snapshot(t, r.Root)
	res := mustRun(t, 1, "--root", r.Root, "restore", run)
	for _, ref := range []string{"team/app/api:v1", "a/b/c:1.0"} {
		if !strings.Contains(res.Stdout, "gone  "+ref) {
			t.Errorf("restore does not say %s is gone:\n%s", ref, res.Stdout)
		}
	}
	if strings.Count(res.Stdout, "manifest collected by gc on ") != 2 || !strings.Contains(res.Stderr, "2 tags cannot be restored") {
		t.Errorf("restore does not say gc collected the manifests:\n%s%s", res.Stdout, res.Stderr)
	}
	regtest.AssertUnchanged(t, r.Root, after)
	mustRun(t, 1, "--root", r.Root, "restore", "--dry-run", run)
	regtest.AssertUnchanged(t, r.Root, after)
}

// A tag pushed again since its removal is kept, unless --force, which
// journals it before replacing it.
func TestRestoreKeepsRepushedTag(t *testing.T) {
	t.Parallel()
	r, info := servedAged(t)
	mustRun(t, 0, "--root", r.Root, "tag", "rm", "i:T11")
	r.PushImage(t, "i:T11", regtest.WithLayers(1, 99))
	fresh := r.Resolve(t, "i:T11")
	res := mustRun(t, 1, "--root", r.Root, "restore", "i:T11")
	if !strings.Contains(res.Stdout, "kept  i:T11") || !strings.Contains(res.Stdout, "pushed again since") ||
		!strings.Contains(res.Stdout, "--force replaces it") {
		t.Errorf("restore of a re-pushed tag:\n%s", res.Stdout)
	}
	if got := r.Resolve(t, "i:T11"); got != fresh {
		t.Fatalf("the re-pushed tag was overwritten: %s, want %s", got, fresh)
	}
	before := regtest.Snapshot(t, r.Root)
	res = mustRun(t, 0, "--root", r.Root, "--json", "restore", "--force", "i:T11")
	var out struct {
		Tags []struct{ Status, Digest string } `json:"tags"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &out); err != nil || len(out.Tags) != 1 || out.Tags[0].Status != "replaced" {
		t.Errorf("restore --force --json: %v\n%s", err, res.Stdout)
	}
	if got := r.Resolve(t, "i:T11"); got != info.Tags["i:T11"] {
		t.Errorf("after --force i:T11 is %s, want %s", got, info.Tags["i:T11"])
	}
	r.AssertWhole(t, "i:T11")
	rec := readRecord(t, r.Root, onlyRun(t, r.Root, before))
	if len(rec.Tags) != 1 || rec.Tags[0].Digest.String() != fresh.String() || len(rec.Restored) != 1 {
		t.Errorf("the forced restore's record: %+v; want the replaced tag (%s) and the restored one", rec, fresh)
	}
}
