package commands

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/distribution/registry/storage/driver"
	"github.com/regprune/regprune/internal/faults"
	"github.com/regprune/regprune/internal/regtest"
)

// gcPlanDoc is gc's --json document of a dry run, as docs/gc.md gives it.
type gcPlanDoc struct {
	DryRun     bool           `json:"dry_run"`
	FreedBytes int64          `json:"freed_bytes"`
	Removed    map[string]int `json:"removed"`
	KeptRecent *int           `json:"kept_recent"`
	Warnings   []string       `json:"warnings"`
	Plan       *struct {
		ReferrerTags []struct{ Repository, Tag, Digest string } `json:"referrer_tags"`
		Manifests    []struct{ Repository, Digest string }      `json:"manifests"`
		LayerLinks   []struct{ Repository, Digest string }      `json:"layer_links"`
		Blobs        []struct {
			Digest       string
			Size         int64
			Repositories []string
		} `json:"blobs"`
		Uploads []struct {
			Repository, ID string
			Started        time.Time
		} `json:"uploads"`
		Repositories []string `json:"repositories"`
	} `json:"plan"`
}

// lines renders the plan as the text dry run lists it.
func (d gcPlanDoc) lines() []string {
	p := d.Plan
	var out []string
	for _, x := range p.ReferrerTags {
		out = append(out, fmt.Sprintf("would remove tag %s:%s (%s, subject gone)", x.Repository, x.Tag, x.Digest))
	}
	for _, x := range p.Manifests {
		out = append(out, fmt.Sprintf("would remove manifest %s@%s", x.Repository, x.Digest))
	}
	for _, x := range p.LayerLinks {
		out = append(out, fmt.Sprintf("would remove layer link %s@%s", x.Repository, x.Digest))
	}
	for _, x := range p.Blobs {
		out = append(out, fmt.Sprintf("would remove blob %s (%s)", x.Digest, iec(x.Size)))
	}
	for _, x := range p.Uploads {
		out = append(out, fmt.Sprintf("would remove upload %s %s (started %s)", x.Repository, x.ID, x.Started.Format("2006-01-02T15:04:05Z")))
	}
	for _, x := range p.Repositories {
		out = append(out, "would remove repository "+x)
	}
	return out
}

// iec is the size as the text output prints it.
func iec(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f KiB", float64(n)/1024)
}

// TestGCJSONDryRunIsThePlan: gc --json --dry-run lists every object of the
// plan (referrer tags, manifests, layer links, blobs with sizes, uploads,
// repositories), exactly the objects the text dry run lists, in its order,
// with the counts, kept count and warnings; the real run then removes
// those and nothing a tag reaches.
func TestGCJSONDryRunIsThePlan(t *testing.T) {
	t.Parallel()
	r, _ := served(t)
	mustRun(t, 0, "--root", r.Root, "tag", "rm", "i:T12", "i:T22", "i:T52", "team/app:v1", "a/b/c:*")
	upload := r.StartUpload(t, "team/app", []byte("half a layer"))
	args := []string{"--root", r.Root, "gc", "--delete-untagged", "--grace", "0", "--uploads-older-than", "0s", "--dry-run"}
	text := mustRun(t, 0, args...).Stdout
	res := mustRun(t, 0, append(args, "--json")...)
	var doc gcPlanDoc
	if err := json.Unmarshal([]byte(res.Stdout), &doc); err != nil || doc.Plan == nil || doc.KeptRecent == nil {
		t.Fatalf("--json --dry-run: %v\n%s", err, res.Stdout)
	}
	var want []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "would remove ") {
			want = append(want, l)
		}
	}
	got := doc.lines()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the JSON plan is not the text plan:\n--- json\n%s\n--- text\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	p := doc.Plan
	if len(p.ReferrerTags) == 0 || len(p.Manifests) == 0 || len(p.LayerLinks) == 0 || len(p.Blobs) == 0 ||
		len(p.Uploads) != 1 || p.Uploads[0].ID != upload || len(p.Repositories) != 1 || p.Repositories[0] != "a/b/c" {
		t.Errorf("plan lacks a kind of object: %+v", *p)
	}
	counts := map[string]int{"tags": len(p.ReferrerTags), "manifests": len(p.Manifests), "layer_links": len(p.LayerLinks),
		"blobs": len(p.Blobs), "uploads": len(p.Uploads), "repositories": len(p.Repositories)}
	var freed int64
	for _, b := range p.Blobs {
		freed += b.Size
	}
	for k, n := range counts {
		if doc.Removed[k] != n {
			t.Errorf("removed.%s = %d, the plan lists %d", k, doc.Removed[k], n)
		}
	}
	if !doc.DryRun || doc.FreedBytes != freed || doc.Warnings == nil {
		t.Errorf("summary of the plan: dry_run %v freed %d (blobs sum to %d) warnings %v", doc.DryRun, doc.FreedBytes, freed, doc.Warnings)
	}

	// The real run removes exactly that; its document has no plan.
	real := mustRun(t, 0, args[:len(args)-1]...)
	if !strings.Contains(real.Stdout, fmt.Sprintf("%d manifests, %d layer links, %d blobs", len(p.Manifests), len(p.LayerLinks), len(p.Blobs))) {
		t.Errorf("real run:\n%s", real.Stdout)
	}
	for _, b := range p.Blobs {
		if regtest.Exists(t, regtest.V2Dir(r.Root)+"/blobs/sha256/"+b.Digest[7:9]+"/"+b.Digest[7:]) {
			t.Errorf("blob %s of the plan still there", b.Digest)
		}
	}
	r.AssertAllTagsWhole(t)
	r.AssertWhole(t, "i:T13") // T12's manifest stays: T13 names it
	again := mustRun(t, 0, "--root", r.Root, "--json", "gc", "--delete-untagged")
	if strings.Contains(again.Stdout, `"plan"`) {
		t.Errorf("a real run's document has a plan:\n%s", again.Stdout)
	}
}

// TestPruneJSONDryRunHoldsTheGCPlan: prune --dry-run --json's gc member is
// gc's dry-run document, plan included; a real prune's has none.
func TestPruneJSONDryRunHoldsTheGCPlan(t *testing.T) {
	t.Parallel()
	root, info := regtest.LoadSample(t)
	args := []string{"--root", root, "--json", "prune", "--repo", "i", "--tag", "T[25].*", "--grace", "0"}
	var doc struct {
		GC gcPlanDoc `json:"gc"`
	}
	res := mustRun(t, 0, append(args, "--dry-run")...)
	if err := json.Unmarshal([]byte(res.Stdout), &doc); err != nil || doc.GC.Plan == nil {
		t.Fatalf("prune --dry-run --json: %v\n%s", err, res.Stdout)
	}
	var manifests []string
	for _, m := range doc.GC.Plan.Manifests {
		manifests = append(manifests, m.Repository+"@"+m.Digest)
	}
	for _, tag := range []string{"T21", "T22", "T51", "T52"} {
		if want := "i@" + info.Tags["i:"+tag].String(); !strings.Contains(strings.Join(manifests, " "), want) {
			t.Errorf("the gc plan does not remove %s (i:%s's manifest): %q", want, tag, manifests)
		}
	}
	if len(doc.GC.Plan.Blobs) != doc.GC.Removed["blobs"] || doc.GC.Removed["blobs"] == 0 {
		t.Errorf("plan blobs %d, count %d", len(doc.GC.Plan.Blobs), doc.GC.Removed["blobs"])
	}
	res = mustRun(t, 0, args...)
	if strings.Contains(res.Stdout, `"plan"`) {
		t.Errorf("a real prune's gc has a plan:\n%s", res.Stdout)
	}
}

// TestGCGraceHint: garbage the default --grace keeps gets a hint on stderr
// saying how to reclaim it now; not when --grace is given, not with -q.
func TestGCGraceHint(t *testing.T) {
	t.Parallel()
	root, _ := regtest.LoadSample(t)
	touchTree(t, root) // as if just pushed: everything is fresh
	mustRun(t, 0, "--root", root, "tag", "rm", "i:T12", "i:T22", "i:T52")
	hint := "kept: younger than --grace 1h (on a stopped or read-only registry, --grace 0 reclaims them now)"
	said := regexp.MustCompile(`(?m)^regprune: (\d+) ` + regexp.QuoteMeta(hint) + `$`)
	for _, c := range []struct {
		args []string
		hint bool
	}{
		{[]string{"gc", "--delete-untagged", "--dry-run"}, true},
		{[]string{"--json", "gc", "--delete-untagged", "--dry-run"}, true},
		{[]string{"prune", "--repo", "i", "--tag", "T11", "--dry-run"}, true},
		{[]string{"gc", "--delete-untagged", "--dry-run", "--grace", "1h"}, false},
		{[]string{"-q", "gc", "--delete-untagged", "--dry-run"}, false},
		{[]string{"gc", "--delete-untagged"}, true},
	} {
		res := mustRun(t, 0, append([]string{"--root", root}, c.args...)...)
		m := said.FindStringSubmatch(res.Stderr)
		if (m != nil) != c.hint || strings.Count(res.Stderr, hint) > 1 {
			t.Errorf("regprune %q: hint shown %v, want %v:\n%s", c.args, m != nil, c.hint, res.Stderr)
			continue
		}
		if m == nil {
			continue
		}
		if n, _ := strconv.Atoi(m[1]); n <= 0 {
			t.Errorf("regprune %q: hint counts %s", c.args, m[1])
		} else if c.args[0] == "--json" {
			var doc gcPlanDoc
			if err := json.Unmarshal([]byte(res.Stdout), &doc); err != nil || *doc.KeptRecent != n {
				t.Errorf("hint says %d kept, the document %v (%v)", n, doc.KeptRecent, err)
			}
		}
	}
}

// touchTree dates every file and directory under root now (a copy keeps
// the times of the checkout it came from).
func touchTree(t *testing.T, root string) {
	t.Helper()
	now := time.Now()
	err := filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(p, now, now)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestQuietGC: with -q, gc prints its result (the summary line; the
// objects with -v) and nothing else: no per-stage lines on stdout, no
// notes on stderr.
func TestQuietGC(t *testing.T) {
	t.Parallel()
	root, _ := regtest.LoadSample(t)
	mustRun(t, 0, "--root", root, "tag", "rm", "i:T12", "i:T22", "i:T52")
	res := mustRun(t, 0, "--root", root, "gc", "-q", "--delete-untagged", "--grace", "0")
	if res.Stderr != "" || strings.Count(res.Stdout, "\n") != 1 || !strings.HasPrefix(res.Stdout, "gc: removed 3 manifests") {
		t.Errorf("gc -q:\nstdout:\n%s\nstderr:\n%s", res.Stdout, res.Stderr)
	}
	root2, _ := regtest.LoadSample(t)
	mustRun(t, 0, "--root", root2, "tag", "rm", "i:T12", "i:T22", "i:T52")
	res = mustRun(t, 0, "--root", root2, "-q", "-v", "gc", "--delete-untagged", "--grace", "0")
	if res.Stderr != "" || strings.Contains(res.Stdout, "gc: blobs: removed") || !strings.Contains(res.Stdout, "removed blob sha256:") {
		t.Errorf("gc -q -v:\nstdout:\n%s\nstderr:\n%s", res.Stdout, res.Stderr)
	}
	// Without -q, the stages and the note show.
	root3, _ := regtest.LoadSample(t)
	mustRun(t, 0, "--root", root3, "tag", "rm", "i:T12")
	res = mustRun(t, 0, "--root", root3, "gc", "--delete-untagged", "--grace", "0")
	if !strings.Contains(res.Stdout, "gc: blobs: removed") || !strings.Contains(res.Stderr, "blob descriptor cache") {
		t.Errorf("gc without -q:\nstdout:\n%s\nstderr:\n%s", res.Stdout, res.Stderr)
	}
}

// TestNoSummaryWhenNothingChanged: a changing command that fails before it
// removed anything (here every write of the storage fails) prints no
// summary, in text or JSON; the error names what failed.
func TestNoSummaryWhenNothingChanged(t *testing.T) {
	t.Parallel()
	root, _ := regtest.LoadSample(t)
	mustRun(t, 0, "--root", root, "tag", "rm", "i:T12", "i:T22", "i:T52")
	readOnly := func(inner driver.StorageDriver) *faults.Driver {
		return faults.Wrap(inner).FailAll(faults.WriteKinds...)
	}
	for _, args := range [][]string{
		{"tag", "rm", "i:T11"},
		{"--json", "tag", "rm", "i:T11"},
		{"gc", "--delete-untagged", "--grace", "0"},
		{"--json", "gc", "--delete-untagged", "--grace", "0"},
		{"prune", "--repo", "i", "--tag", "T11", "--grace", "0"},
		{"--json", "prune", "--repo", "i", "--tag", "T11", "--grace", "0"},
	} {
		res := runWithDriver(t, readOnly, append([]string{"--root", root}, args...)...)
		if res.Code != 1 || res.Stdout != "" || !strings.Contains(res.Stderr, "injected") {
			t.Errorf("regprune %q on a storage refusing writes: exit %d\nstdout:\n%s\nstderr:\n%s", args, res.Code, res.Stdout, res.Stderr)
		}
	}
	r := regtest.Start(t, root)
	r.AssertWhole(t, "i:T11")
	r.AssertAllTagsWhole(t)
}
