package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/docker/distribution/registry/storage/driver"
	"github.com/regprune/regprune/internal/cli"
	"github.com/regprune/regprune/internal/faults"
	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/storage"
)

const pruneDay = 24 * time.Hour

// pruneRegistry pushes one small image per "repo:tag" and sets its push
// time to now minus the given age.
func pruneRegistry(t *testing.T, ages map[string]time.Duration) (*regtest.Registry, string) {
	t.Helper()
	root := t.TempDir()
	r := regtest.Start(t, root)
	now := time.Now()
	for ref, age := range ages {
		r.PushImage(t, ref, regtest.WithLayers(1, 128))
		repo, tag, _ := strings.Cut(ref, ":")
		regtest.SetPushed(t, root, repo, tag, now.Add(-age))
	}
	return r, root
}

// assertPrunedTags fails unless the registry serves exactly want (repo -> tags)
// and every remaining tag pulls whole.
func assertPrunedTags(t *testing.T, r *regtest.Registry, want map[string][]string) {
	t.Helper()
	got := r.Tags(t)
	for repo, tags := range got {
		if len(tags) == 0 {
			delete(got, repo)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tags after prune:\n got %v\nwant %v", got, want)
	}
	r.AssertAllTagsWhole(t)
}

func TestPruneByAge(t *testing.T) {
	t.Parallel()
	r, root := pruneRegistry(t, map[string]time.Duration{
		"app:v1": 40 * pruneDay, "app:v2": 10 * pruneDay, "app:v3": time.Hour, "team/api:1": 40 * pruneDay,
	})
	out := mustRun(t, 0, "--root", root, "prune", "--repo", "app", "--older-than", "30d", "--no-gc")
	for _, want := range []string{"app: 2 kept, 1 removed", "prune: 1 tag removed, 2 kept, in 1 repository; 1 repository no rule governs"} {
		if !strings.Contains(out.Stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, out.Stdout)
		}
	}
	assertPrunedTags(t, r, map[string][]string{"app": {"v2", "v3"}, "team/api": {"1"}})
	r.AssertGone(t, "app:v1")

	// Every repository, in weeks: team/api:1 goes too; app:v2 is too young.
	mustRun(t, 0, "--root", root, "prune", "--older-than", "2w", "--no-gc")
	assertPrunedTags(t, r, map[string][]string{"app": {"v2", "v3"}})
}

func TestPruneKeepLastWithOlderThan(t *testing.T) {
	t.Parallel()
	r, root := pruneRegistry(t, map[string]time.Duration{
		"app:t1": 50 * pruneDay, "app:t2": 40 * pruneDay, "app:t3": 30 * pruneDay, "app:t4": 20 * pruneDay, "app:t5": 10 * pruneDay,
		"old:o1": 100 * pruneDay, "old:o2": 200 * pruneDay,
	})
	out := mustRun(t, 0, "--root", root, "-v", "prune", "--keep-last", "1", "--older-than", "25d", "--grace", "0")
	// t5 is the newest; t4 is younger than 25 days; o1 is old but the newest of its repository.
	assertPrunedTags(t, r, map[string][]string{"app": {"t4", "t5"}, "old": {"o1"}})
	for _, want := range []string{"app: 2 kept, 3 removed", "  kept: t4 t5", "  removed: t1 t2 t3", "old: 1 kept, 1 removed",
		"pushed 50d ago, older than 25d; not the newest"} {
		if !strings.Contains(out.Stdout, want) {
			t.Errorf("-v output lacks %q:\n%s", want, out.Stdout)
		}
	}
}

func TestPruneTagAndExcludeTag(t *testing.T) {
	t.Parallel()
	r, root := pruneRegistry(t, map[string]time.Duration{
		"app:pr-1": pruneDay, "app:pr-2": pruneDay, "app:pr-10-keep": pruneDay, "app:main": pruneDay, "app:v10": pruneDay, "app:v100": pruneDay,
	})
	mustRun(t, 0, "--root", root, "prune", "--tag", "pr-.*", "--exclude-tag", ".*keep", "--exclude-tag", "pr-2", "--no-gc")
	assertPrunedTags(t, r, map[string][]string{"app": {"main", "pr-10-keep", "pr-2", "v10", "v100"}})
	// Commas belong to the expression: {1,2} is not split into two.
	mustRun(t, 0, "--root", root, "prune", "--tag", "v.*", "--exclude-tag", "v[0-9]{1,2}", "--no-gc")
	assertPrunedTags(t, r, map[string][]string{"app": {"main", "pr-10-keep", "pr-2", "v10"}})
}

// TestPruneTagPatternsMatchWholeNames: --tag and --exclude-tag (and a
// policy file's tags and exclude_tags) match whole tag names: 'T4*' is a
// regular expression selecting T4 and T44, never every tag holding a T; an
// exclusion that matches tags only within their name keeps none of them
// and says so, on stderr and in --json.
func TestPruneTagPatternsMatchWholeNames(t *testing.T) {
	t.Parallel()
	r, root := pruneRegistry(t, map[string]time.Duration{
		"app:T4": pruneDay, "app:T44": pruneDay, "app:T41": pruneDay, "app:aT4": pruneDay, "app:T1": pruneDay,
		"app:release": pruneDay, "app:release-1": pruneDay, "app:x": pruneDay,
	})
	res := mustRun(t, 0, "--root", root, "prune", "--tag", "T4*", "--no-gc")
	if !strings.Contains(res.Stdout, "prune: 2 tags removed") {
		t.Errorf("prune --tag 'T4*':\n%s", res.Stdout)
	}
	assertPrunedTags(t, r, map[string][]string{"app": {"T1", "T41", "aT4", "release", "release-1", "x"}})
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	writePolicy(t, policy, "- repositories: app\n  tags: T4.*\n")
	mustRun(t, 0, "--root", root, "prune", "--policy", policy, "--no-gc")
	assertPrunedTags(t, r, map[string][]string{"app": {"T1", "aT4", "release", "release-1", "x"}})

	// --exclude-tag release keeps release, not release-1: said, and done.
	warn := `rule flags: exclusion "release" matches whole tag names only, so it does not keep app:release-1 ` +
		`(matched within the name): removed; write ".*release.*" to keep such tags`
	res = mustRun(t, 0, "--root", root, "--json", "prune", "--tag", "r.*|x", "--exclude-tag", "release", "--no-gc", "--dry-run")
	var doc struct{ Warnings []string }
	if err := json.Unmarshal([]byte(res.Stdout), &doc); err != nil || len(doc.Warnings) != 1 || doc.Warnings[0] != warn ||
		!strings.Contains(res.Stderr, "regprune: warning: "+warn) {
		t.Errorf("near miss of --exclude-tag release: %v\nstdout:\n%s\nstderr:\n%s", err, res.Stdout, res.Stderr)
	}
	res = mustRun(t, 0, "--root", root, "-q", "prune", "--tag", "r.*|x", "--exclude-tag", "release", "--no-gc")
	if !strings.Contains(res.Stderr, warn) {
		t.Errorf("-q hides the warning:\n%s", res.Stderr)
	}
	assertPrunedTags(t, r, map[string][]string{"app": {"T1", "aT4", "release"}})
}

func TestPruneNestedRepositories(t *testing.T) {
	t.Parallel()
	r, root := pruneRegistry(t, map[string]time.Duration{
		"a:x": 40 * pruneDay, "a/b:x": 40 * pruneDay, "a/b/c:x": 40 * pruneDay, "a/d:x": time.Hour,
	})
	// a/* matches a/b and a/d, neither a nor a/b/c.
	mustRun(t, 0, "--root", root, "prune", "--repo", "a/*", "--older-than", "30d", "--no-gc")
	assertPrunedTags(t, r, map[string][]string{"a": {"x"}, "a/b/c": {"x"}, "a/d": {"x"}})
	mustRun(t, 0, "--root", root, "prune", "--repo", "a", "--older-than", "30d", "--grace", "0")
	assertPrunedTags(t, r, map[string][]string{"a/b/c": {"x"}, "a/d": {"x"}})
}

func TestPruneLeavesReferrerTags(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	img := r.PushImage(t, "app:v1")
	r.PushImage(t, "app:v2")
	d := regtest.DigestOf(t, img)
	r.PushReferrer(t, "app", d)
	r.PushCosignSignature(t, "app", d)
	referrers := []string{regtest.FallbackTag(d), regtest.FallbackTag(d) + ".sig"}

	out := mustRun(t, 0, "--root", root, "--json", "prune", "--tag", ".*", "--no-gc")
	var doc struct {
		RemovedTags []struct{ Repository, Tag, Digest, Rule, Reason string } `json:"removed_tags"`
		GC          any                                                      `json:"gc"`
	}
	if err := json.Unmarshal([]byte(out.Stdout), &doc); err != nil {
		t.Fatalf("--json: %v\n%s", err, out.Stdout)
	}
	if len(doc.RemovedTags) != 2 || doc.RemovedTags[0].Tag != "v1" || doc.RemovedTags[0].Digest != d.String() ||
		doc.RemovedTags[0].Rule != "flags" || doc.RemovedTags[1].Tag != "v2" || doc.GC != nil {
		t.Errorf("--json: %s", out.Stdout)
	}
	got := r.Tags(t)["app"]
	if !reflect.DeepEqual(got, referrers) {
		t.Errorf("tags left: %v, want the referrer tags %v", got, referrers)
	}
	// --all selects every tag, still not the referrer tags.
	mustRun(t, 0, "--root", root, "prune", "--all", "--no-gc")
	if got := r.Tags(t)["app"]; !reflect.DeepEqual(got, referrers) {
		t.Errorf("tags left after --all: %v", got)
	}
}

func TestPruneDryRun(t *testing.T) {
	t.Parallel()
	r, root := pruneRegistry(t, map[string]time.Duration{"app:old": 40 * pruneDay, "app:new": time.Hour})
	before := regtest.Snapshot(t, root)
	out := mustRun(t, 0, "--root", root, "prune", "--dry-run", "--older-than", "30d", "--grace", "0")
	t.Logf("dry run:\n%s", out.Stdout)
	for _, want := range []string{"tags to remove (dry run):\nREPOSITORY", "app  ", "old", "flags", "pushed 40d ago, older than 30d",
		time.Now().Add(-40 * pruneDay).UTC().Format("2006-01-02T"), "app: 1 kept, 1 to remove", "1 tag would be removed (dry run)",
		"gc: would remove (dry run) 1 manifests"} {
		if !strings.Contains(out.Stdout, want) {
			t.Errorf("dry-run output lacks %q:\n%s", want, out.Stdout)
		}
	}
	regtest.AssertUnchanged(t, root, before)
	assertPrunedTags(t, r, map[string][]string{"app": {"new", "old"}})
}

func TestPrunePolicyFile(t *testing.T) {
	t.Parallel()
	r, root := pruneRegistry(t, map[string]time.Duration{
		"ci/web:pr-1": 10 * pruneDay, "ci/web:pr-2": pruneDay, "ci/web:main": 90 * pruneDay,
		"web:latest": 90 * pruneDay, "web:b1": 60 * pruneDay, "web:b2": 50 * pruneDay, "web:b3": 40 * pruneDay,
		"other:x": 400 * pruneDay,
	})
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	writePolicy(t, policy, `rules:
  - repositories: ci/*
    tags: pr-.*
    older_than: 7d
  - repositories: web
    exclude_tags: latest
    keep_last: 1
    older_than: 30d
`)
	out := mustRun(t, 0, "--root", root, "prune", "--policy", policy, "--no-gc", "--dry-run")
	if !strings.Contains(out.Stdout, "policy.yaml:2") || !strings.Contains(out.Stdout, "policy.yaml:5") {
		t.Errorf("dry run does not name the rules:\n%s", out.Stdout)
	}
	mustRun(t, 0, "--root", root, "prune", "--policy", policy, "--no-gc")
	assertPrunedTags(t, r, map[string][]string{"ci/web": {"main", "pr-2"}, "web": {"b3", "latest"}, "other": {"x"}})
}

func writePolicy(t *testing.T, p, content string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestPruneRefusesAndChangesNothing: usage errors, bad policies and
// unmatched globs exit before anything is locked or removed.
func TestPruneRefusesAndChangesNothing(t *testing.T) {
	t.Parallel()
	r, root := pruneRegistry(t, map[string]time.Duration{"app:v1": 40 * pruneDay, "app:v2": time.Hour})
	dir := t.TempDir()
	unknownKey := filepath.Join(dir, "unknown.yaml")
	writePolicy(t, unknownKey, "- repositories: app\n  older_than: 1d\n  keep: 3\n")
	badRegexp := filepath.Join(dir, "regexp.yaml")
	writePolicy(t, badRegexp, "- tags: ok\n- repositories: app\n  exclude_tags: [a, '(']\n  keep_last: 1\n")
	badAge := filepath.Join(dir, "age.yaml")
	writePolicy(t, badAge, "- older_than: 1.5d\n")
	before := regtest.Snapshot(t, root)
	cases := []struct {
		code int
		args []string
		want string
	}{
		{2, []string{"prune"}, "add --all"},
		{2, []string{"prune", "--repo", "app", "--exclude-tag", "x"}, "add --all"},
		{2, []string{"prune", "--older-than", "3x"}, `--older-than: bad duration: "3x"`},
		{2, []string{"prune", "--older-than", "-1d"}, "negative"},
		{2, []string{"prune", "--tag", "["}, "--tag: tag regular expression"},
		{2, []string{"prune", "--tag", "a", "--exclude-tag", "("}, "--exclude-tag: tag regular expression"},
		{2, []string{"prune", "--keep-last", "-1"}, "--keep-last -1"},
		{2, []string{"prune", "--keep-last", "x"}, "keep-last"},
		{2, []string{"prune", "--repo", "[", "--all"}, `--repo: bad name: repository glob "["`},
		{2, []string{"prune", "--all", "--grace", "soon"}, "--grace"},
		{2, []string{"prune", "--all", "--jobs", "0"}, "--jobs 0"},
		{2, []string{"prune", "--all", "app:v1"}, "no arguments"},
		{2, []string{"prune", "--policy", unknownKey, "--tag", "x"}, "--policy and --tag cannot be combined"},
		{2, []string{"prune", "--policy", filepath.Join(dir, "none.yaml")}, "none.yaml"},
		{2, []string{"prune", "--policy", unknownKey}, unknownKey + ":3: keep: unknown key"},
		{2, []string{"prune", "--policy", badRegexp}, badRegexp + ":3: exclude_tags: tag regular expression \"(\""},
		{2, []string{"prune", "--policy", badAge}, badAge + ":1: older_than: bad duration"},
		{1, []string{"prune", "--repo", "nope*", "--all"}, `--repo "nope*"`},
	}
	for _, c := range cases {
		out := mustRun(t, c.code, append([]string{"--root", root}, c.args...)...)
		if !strings.Contains(out.Stderr, c.want) {
			t.Errorf("%v: stderr lacks %q:\n%s", c.args, c.want, out.Stderr)
		}
	}
	regtest.AssertUnchanged(t, root, before)
	assertPrunedTags(t, r, map[string][]string{"app": {"v1", "v2"}})
}

// pruneGCJSON is the part of prune's --json output the gc tests read.
type pruneGCJSON struct {
	DryRun      bool                               `json:"dry_run"`
	RemovedTags []struct{ Repository, Tag string } `json:"removed_tags"`
	GC          *struct {
		DryRun     bool           `json:"dry_run"`
		FreedBytes int64          `json:"freed_bytes"`
		Removed    map[string]int `json:"removed"`
	} `json:"gc"`
}

func runPruneJSON(t *testing.T, args ...string) pruneGCJSON {
	t.Helper()
	out := mustRun(t, 0, args...)
	var doc pruneGCJSON
	if err := json.Unmarshal([]byte(out.Stdout), &doc); err != nil || doc.GC == nil {
		t.Fatalf("--json: %v\n%s", err, out.Stdout)
	}
	return doc
}

// TestPruneThenGC: the removed tags' unique data leaves the disk, shared
// layers, multi-platform children and the remaining images stay whole,
// orphaned referrer tags go with their subject, and the dry run predicts
// the real run exactly.
func TestPruneThenGC(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	shared := regtest.RandomLayer(t, 256)
	old := r.PushImage(t, "app:old", regtest.WithSharedLayers(shared))
	r.PushImage(t, "app:new", regtest.WithSharedLayers(shared))
	r.PushIndex(t, "app:multi",
		regtest.NewImage(t, regtest.WithPlatform("linux", "amd64")), regtest.NewImage(t, regtest.WithPlatform("linux", "arm64")))
	r.PushCosignSignature(t, "app", regtest.DigestOf(t, old))
	now := time.Now()
	regtest.SetPushed(t, root, "app", "old", now.Add(-40*pruneDay))
	regtest.SetPushed(t, root, "app", "multi", now.Add(-40*pruneDay))
	args := []string{"--root", root, "--json", "prune", "--older-than", "30d", "--exclude-tag", "^multi$", "--grace", "0"}

	before := regtest.Snapshot(t, root)
	dry := runPruneJSON(t, append(args, "--dry-run")...)
	regtest.AssertUnchanged(t, root, before)
	prom := filepath.Join(t.TempDir(), "regprune.prom")
	real := runPruneJSON(t, append([]string{"--metrics-file", prom}, args...)...)
	// One tag removed by prune, one orphaned cosign tag by its gc.
	mustProm(t, prom, "regprune_last_run_removed", "prune", "tags", 2)
	mustProm(t, prom, "regprune_last_run_freed_bytes", "prune", "", float64(real.GC.FreedBytes))
	if len(real.RemovedTags) != 1 || real.RemovedTags[0].Tag != "old" || real.GC.DryRun || !dry.GC.DryRun {
		t.Errorf("removed tags %+v, dry runs %v/%v", real.RemovedTags, dry.GC.DryRun, real.GC.DryRun)
	}
	if dry.GC.FreedBytes != real.GC.FreedBytes || !reflect.DeepEqual(dry.GC.Removed, real.GC.Removed) {
		t.Errorf("dry run predicted %d bytes %v, the run freed %d bytes %v",
			dry.GC.FreedBytes, dry.GC.Removed, real.GC.FreedBytes, real.GC.Removed)
	}
	if real.GC.FreedBytes == 0 || real.GC.Removed["manifests"] != 2 || real.GC.Removed["tags"] != 1 {
		t.Errorf("gc after prune: %+v (want the image and its signature, one referrer tag)", *real.GC)
	}
	sharedDigest := regtest.DigestOf(t, shared)
	for _, b := range append(regtest.BlobsOf(t, old), regtest.DigestOf(t, old)) {
		if kept := regtest.Exists(t, regtest.BlobFile(root, b)); kept != (b == sharedDigest) {
			t.Errorf("blob %s of app:old: on disk %v, want %v (only the shared layer stays)", b, kept, b == sharedDigest)
		}
	}
	r.AssertGone(t, "app:old")
	assertPrunedTags(t, r, map[string][]string{"app": {"multi", "new"}})
}

// runWithDriver runs regprune in-process with its storage driver wrapped.
func runWithDriver(t *testing.T, d func(driver.StorageDriver) *faults.Driver, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	wrap := storage.WithDriverWrapper(func(inner driver.StorageDriver) driver.StorageDriver { return d(inner) })
	code := cli.Run(context.Background(), append([]string{"regprune"}, args...), &out, &errb, cli.WithStorageOptions(wrap))
	return result{Stdout: out.String(), Stderr: errb.String(), Code: code}
}

// TestPruneDryRunReadOnlyAndFailingDelete: a dry run makes no write call;
// a failing removal stops prune before gc, names the path, breaks nothing,
// and a re-run finishes the job.
func TestPruneDryRunReadOnlyAndFailingDelete(t *testing.T) {
	t.Parallel()
	r, root := pruneRegistry(t, map[string]time.Duration{"app:a": 40 * pruneDay, "app:b": 40 * pruneDay, "app:c": 40 * pruneDay, "app:d": 0})
	readOnly := func(inner driver.StorageDriver) *faults.Driver {
		return faults.Wrap(inner).FailAll(faults.WriteKinds...)
	}
	if out := runWithDriver(t, readOnly, "--root", root, "prune", "--dry-run", "--older-than", "30d"); out.Code != 0 {
		t.Fatalf("dry run on a read-only storage: exit %d\n%s", out.Code, out.Stderr)
	}
	var wrapped *faults.Driver
	failSecond := func(inner driver.StorageDriver) *faults.Driver {
		wrapped = faults.Wrap(inner).FailNth(faults.Delete, 2)
		return wrapped
	}
	out := runWithDriver(t, failSecond, "--root", root, "prune", "--older-than", "30d", "--jobs", "1")
	if out.Code != 1 || !strings.Contains(out.Stderr, "stopped after removing 1 tags, before gc") ||
		!strings.Contains(out.Stderr, "_manifests/tags/b") || !strings.Contains(out.Stdout, "app: 3 kept, 1 removed") {
		t.Errorf("failing delete: exit %d\nstdout:\n%s\nstderr:\n%s", out.Code, out.Stdout, out.Stderr)
	}
	if got := wrapped.Counts()[faults.Delete]; got != 2 {
		t.Errorf("%d deletes after the failing one, want none", got-2)
	}
	assertPrunedTags(t, r, map[string][]string{"app": {"b", "c", "d"}})
	mustRun(t, 0, "--root", root, "prune", "--older-than", "30d", "--grace", "0")
	assertPrunedTags(t, r, map[string][]string{"app": {"d"}})
}
