package commands

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/regtest"
)

// historyStart is where the recorded history's coverage starts.
func historyStart(t *testing.T, root string) time.Time {
	t.Helper()
	out := mustRun(t, 0, "--root", root, "--json", "pulls", "ls")
	var doc struct{ Coverage []struct{ Start time.Time } }
	if err := json.Unmarshal([]byte(out.Stdout), &doc); err != nil || len(doc.Coverage) == 0 {
		t.Fatalf("pulls ls --json: %v\n%s", err, out.Stdout)
	}
	return doc.Coverage[0].Start
}

// TestPruneRefusesShortHistory: a pull rule over 30 days with a history of
// seconds is refused (exit 1, nothing changed), naming the first uncovered
// time and how to record more; --allow-partial-history judges by what is
// recorded, saying "not pulled since" its start; --pull-log judges by a log
// without recording it.
func TestPruneRefusesShortHistory(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	l := regtest.StartLogged(t, root, regtest.LogOptions{JSON: true})
	for _, ref := range []string{"app:used", "app:idle", "web:idle"} {
		l.PushImage(t, ref, regtest.WithLayers(1, 128))
		repo, tag, _ := strings.Cut(ref, ":")
		regtest.SetPushed(t, root, repo, tag, time.Now().Add(-40*pruneDay))
	}
	l.AssertWhole(t, "app:used")
	time.Sleep(100 * time.Millisecond)
	log := filepath.Join(t.TempDir(), "registry.json")
	if err := os.WriteFile(log, []byte(l.Log.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	// --pull-log alone: no history is written; it is short all the same.
	before := regtest.Snapshot(t, root)
	out := mustRun(t, 1, "--root", root, "prune", "--keep-pulled-within", "30d", "--pull-log", log)
	since := time.Now().Add(-30 * pruneDay).UTC().Format("2006-01-02T15")
	for _, want := range []string{"rule flags needs the pull history to cover the whole last 30d", "not covered at " + since,
		"regprune pulls record LOG", "--allow-partial-history"} {
		if !strings.Contains(out.Stderr, want) {
			t.Errorf("refusal lacks %q:\n%s", want, out.Stderr)
		}
	}
	dry := parsePruneJSON(t, mustRun(t, 0, "--root", root, "--json", "prune", "--dry-run", "--keep-pulled-within", "30d",
		"--pull-log", log, "--allow-partial-history").Stdout)
	regtest.AssertUnchanged(t, root, before)
	if got := dry.removed(); !slices.Equal(got, []string{"app:idle", "web:idle"}) || dry.Use.Partial == "" {
		t.Errorf("dry run with --pull-log: removed %v, partial %q", got, dry.Use.Partial)
	}

	mustRun(t, 0, "--root", root, "pulls", "record", log)
	before = regtest.Snapshot(t, root)
	for _, args := range [][]string{
		{"prune", "--keep-pulled-within", "30d"},
		{"prune", "--keep-pulled-within", "2h", "--keep-last", "1"},
	} {
		out := mustRun(t, 1, append([]string{"--root", root}, args...)...)
		if !strings.Contains(out.Stderr, "pull history does not cover") || !strings.Contains(out.Stderr, "pulls record") {
			t.Errorf("%v:\n%s", args, out.Stderr)
		}
	}
	for _, args := range [][]string{
		{"prune", "--keep-last", "1", "--pull-log", log},
		{"prune", "--keep-last", "1", "--allow-partial-history"},
		{"prune", "--keep-refs", "-", "--pull-log", "-", "--keep-last-pulled", "1"},
		{"prune", "--keep-pulled-within", "0"},
		{"prune", "--keep-last-pulled", "-1"},
		{"prune", "--policy", log, "--keep-semver", "2"},
	} {
		mustRun(t, exitUsage, append([]string{"--root", root}, args...)...)
	}
	regtest.AssertUnchanged(t, root, before)

	start := historyStart(t, root).Format(time.RFC3339)
	out = mustRun(t, 0, "--root", root, "prune", "--dry-run", "--keep-pulled-within", "30d", "--allow-partial-history", "--no-gc")
	for _, want := range []string{"tags kept (dry run):", "app         used  ", "pulled ", ", within 30d",
		"not pulled since " + start + " (history starts there)"} {
		if !strings.Contains(out.Stdout, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out.Stdout)
		}
	}
	if !strings.Contains(out.Stderr, "judging by a partial pull history") {
		t.Errorf("no warning about the partial history:\n%s", out.Stderr)
	}
	regtest.AssertUnchanged(t, root, before)
	mustRun(t, 0, "--root", root, "prune", "--keep-pulled-within", "30d", "--allow-partial-history", "--grace", "0")
	check := regtest.Start(t, root)
	assertPrunedTags(t, check, map[string][]string{"app": {"used"}})
}

// TestPruneKeepRefs: images in use as kubectl prints them (one line, hosts,
// tags, digests, a runtime's imageID), on stdin, keep their tags: by tag,
// by the tag's digest, by a child of the tag's index; references to other
// hosts (with --registry-host) and to repositories the storage does not
// hold keep nothing and are counted. A policy reads its keep_refs file next
// to itself. A list with a reference no runtime could pull is refused.
func TestPruneKeepRefs(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	amd := regtest.NewImage(t, regtest.WithPlatform("linux", "amd64"), regtest.WithLayers(1, 128))
	r.PushImage(t, "app:v1", regtest.WithLayers(1, 128))
	r.PushIndex(t, "app:v2", amd, regtest.NewImage(t, regtest.WithPlatform("linux", "arm64"), regtest.WithLayers(1, 128)))
	r.PushImage(t, "app:v3", regtest.WithLayers(1, 128))
	webA := r.PushImage(t, "team/web:a", regtest.WithLayers(1, 128))
	r.Write(t, "team/web:a-alias", webA)
	r.PushImage(t, "team/web:b", regtest.WithLayers(1, 128))
	host := "registry.example.com:5000"
	pods := fmt.Sprintf("%s/app:v1 %s/app@%s other.example.com/app:v3 nginx:1.25 %s/gone:v1 docker-pullable://%s/team/web@%s\n",
		host, host, regtest.DigestOf(t, amd), host, host, regtest.DigestOf(t, webA))

	out := mustRunStdin(t, 0, pods, "--root", root, "--json", "prune", "--keep-refs", "-", "--registry-host", host, "--grace", "0")
	pr := parsePruneJSON(t, out.Stdout)
	if got := pr.removed(); !slices.Equal(got, []string{"app:v3", "team/web:b"}) {
		t.Errorf("removed %v, want [app:v3 team/web:b]\n%s", got, out.Stdout)
	}
	reasons := pr.reasons()
	for ref, want := range map[string]string{
		"app:v1": "in use: stdin line 1", "app:v2": "in use: stdin line 1 word 2",
		"team/web:a": "in use: stdin line 1 word 6", "team/web:a-alias": "in use: stdin line 1 word 6",
		"app:v3": "not in use (-)",
	} {
		if reasons[ref] != want {
			t.Errorf("%s: reason %q, want %q", ref, reasons[ref], want)
		}
	}
	var doc struct {
		Use struct {
			ImagesInUse []struct {
				File    string
				Refs    int `json:"references"`
				Other   int `json:"other_hosts"`
				Missing int `json:"not_in_storage"`
			} `json:"images_in_use"`
		}
	}
	if err := json.Unmarshal([]byte(out.Stdout), &doc); err != nil || len(doc.Use.ImagesInUse) != 1 {
		t.Fatalf("images_in_use: %v\n%s", err, out.Stdout)
	}
	if u := doc.Use.ImagesInUse[0]; u.Refs != 4 || u.Other != 2 || u.Missing != 1 {
		t.Errorf("images in use counted %+v, want 4 references, 2 of other hosts, 1 not in the storage", u)
	}
	assertPrunedTags(t, r, map[string][]string{"app": {"v1", "v2"}, "team/web": {"a", "a-alias"}})

	// A policy's keep_refs, next to it; without --registry-host every host counts.
	dir := t.TempDir()
	regtest.WriteFile(t, filepath.Join(dir, "pods.txt"), []byte("# pods\nother.example.com/app:v1\n"))
	writePolicy(t, filepath.Join(dir, "policy.yaml"), "- repositories: app\n  keep_refs: pods.txt\n")
	out = mustRun(t, 0, "--root", root, "prune", "--policy", filepath.Join(dir, "policy.yaml"), "--dry-run", "--no-gc")
	if !strings.Contains(out.Stdout, "in use: pods.txt line 2") || !strings.Contains(out.Stdout, "not in use (pods.txt)") {
		t.Errorf("policy keep_refs:\n%s", out.Stdout)
	}

	before := regtest.Snapshot(t, root)
	out = mustRunStdin(t, exitUsage, host+"/app:v1 app@sha256:short\n", "--root", root, "prune", "--keep-refs", "-")
	if !strings.Contains(out.Stderr, "stdin line 1 word 2") {
		t.Errorf("bad reference not named:\n%s", out.Stderr)
	}
	mustRun(t, exitUsage, "--root", root, "prune", "--keep-refs", filepath.Join(dir, "none.txt"))
	regtest.AssertUnchanged(t, root, before)
}

// TestPruneKeepSemver: the highest versions stay, compared as semantic
// versions (1.10 above 1.2, a pre-release below its release, v prefix or
// not); tags that are not versions do not count.
func TestPruneKeepSemver(t *testing.T) {
	t.Parallel()
	tags := []string{"v1.0.0", "v1.2.0-rc.1", "v1.2.0", "v1.10.0", "2.0.0-beta.1", "2.0.0-beta.2", "latest", "v1.2"}
	ages := map[string]time.Duration{}
	for i, tag := range tags {
		ages["app:"+tag] = time.Duration(len(tags)-i) * pruneDay
	}
	r, root := pruneRegistry(t, ages)
	out := mustRun(t, 0, "--root", root, "--json", "prune", "--keep-semver", "3", "--exclude-tag", "^latest$", "--grace", "0")
	pr := parsePruneJSON(t, out.Stdout)
	reasons := pr.reasons()
	for tag, want := range map[string]string{
		"2.0.0-beta.2": "among the 3 highest versions", "2.0.0-beta.1": "among the 3 highest versions",
		"v1.10.0": "among the 3 highest versions", "v1.2.0": "below the 3 highest versions",
		"v1.2.0-rc.1": "below the 3 highest versions", "v1.2": "not a semantic version", "latest": `excluded by "^latest$"`,
	} {
		if reasons["app:"+tag] != want {
			t.Errorf("%s: %q, want %q", tag, reasons["app:"+tag], want)
		}
	}
	assertPrunedTags(t, r, map[string][]string{"app": {"2.0.0-beta.1", "2.0.0-beta.2", "latest", "v1.10.0"}})
}
