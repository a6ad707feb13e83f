package reliability

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/docker/distribution/registry/storage/driver"
	"github.com/regprune/regprune/internal/cli"
	"github.com/regprune/regprune/internal/faults"
	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
)

// Fault injection (issue 7 item 1): every changing command, run over the
// sample registry (pushed through the real registry), with the Nth driver
// call of one kind failing. After each fault: a non-zero exit naming what
// failed, every remaining tag whole (check, and pulls through the
// registry), no tag lost that the uninterrupted run keeps, and a clean
// re-run reaching exactly the uninterrupted run's tree.
//
// make test injects a deterministic sample of N for every kind the command
// uses; REGPRUNE_STRESS=1 (make stress) injects every N.

// stressMode says whether the long variants run (make stress).
func stressMode() bool { return os.Getenv("REGPRUNE_STRESS") != "" }

// runFaulty runs regprune in-process over a driver wrapped by faults,
// configured by setup (nil: count only).
func runFaulty(t testing.TB, setup func(*faults.Driver), args ...string) (result, *faults.Driver) {
	t.Helper()
	var fd *faults.Driver
	wrap := storage.WithDriverWrapper(func(d driver.StorageDriver) driver.StorageDriver {
		fd = faults.Wrap(d)
		if setup != nil {
			setup(fd)
		}
		return fd
	})
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), append([]string{"regprune"}, args...), &out, &errb, cli.WithStorageOptions(wrap))
	if fd == nil {
		t.Fatalf("regprune %v opened no storage (exit %d): %s", args, code, errb.String())
	}
	return result{Stdout: out.String(), Stderr: errb.String(), Code: code}, fd
}

// faultCase is one command swept with faults.
type faultCase struct {
	name    string
	fixture func(t *testing.T) string                // a prepared root, copied for every run
	args    []string                                 // after --root ROOT
	rerun   func(t *testing.T, root string) []string // the clean re-run's args; nil: args again
}

// sweepStats counts what a sweep injected, for the log and the docs.
type sweepStats struct {
	injected map[faults.Kind]int
}

func sweepFaults(t *testing.T, fc faultCase) {
	base := fc.fixture(t)
	want, wantTags, counts := cleanRun(t, base, fc.args)
	t.Logf("%s: clean run: %s", fc.name, faultsString(counts))
	stats := sweepStats{injected: map[faults.Kind]int{}}
	for _, k := range faults.AllKinds {
		for _, n := range faultPoints(fc.name, k, counts[k]) {
			t.Run(fmt.Sprintf("%s#%d", k, n), func(t *testing.T) {
				faultRun(t, fc, base, want, wantTags, k, n)
			})
			stats.injected[k]++
		}
	}
	t.Logf("%s: faults injected: %s", fc.name, faultsString(stats.injected))
}

// cleanRun runs the command uninterrupted on a copy of base and returns the
// tree it leaves, the tags left, and the driver calls it made.
func cleanRun(t *testing.T, base string, args []string) (regtest.Tree, map[string][]string, map[faults.Kind]int) {
	t.Helper()
	root := regtest.CopyTree(t, base)
	res, fd := runFaulty(t, nil, append([]string{"--root", root}, args...)...)
	if res.Code != 0 {
		t.Fatalf("clean run of %v: exit %d\n%s%s", args, res.Code, res.Stdout, res.Stderr)
	}
	r := regtest.Start(t, root)
	r.AssertAllTagsWhole(t)
	return regtest.Snapshot(t, root).WithoutJournal(), nonEmpty(r.Tags(t)), fd.Counts()
}

func faultRun(t *testing.T, fc faultCase, base string, want regtest.Tree, wantTags map[string][]string, k faults.Kind, n int) {
	root := regtest.CopyTree(t, base)
	args := append([]string{"--root", root}, fc.args...)
	res, fd := runFaulty(t, func(d *faults.Driver) { d.FailNth(k, n) }, args...)
	inj := fd.Injected()
	if len(inj) == 0 {
		t.Fatalf("%s #%d was never called (calls: %s)", k, n, fd)
	}
	switch {
	case res.Code == 0 && isCacheCall(inj[0]):
		// The manifest reference cache is never needed: a cache that
		// cannot be read is none, one that cannot be written is left as
		// it was.
		// What the run did is checked below as for any run.
	case res.Code == 0:
		t.Errorf("exit 0 although %v failed\nstdout:\n%s\nstderr:\n%s", inj[0], res.Stdout, res.Stderr)
	case !namesFault(res.Stderr, inj):
		t.Errorf("exit %d, but stderr does not name the failed call %v:\n%s", res.Code, inj[0], res.Stderr)
	}
	assertNothingLiveBroken(t, root, wantTags)
	baseTree := regtest.Snapshot(t, base)
	assertJournalCovers(t, baseTree, root)
	if k == faults.PutContent && isJournalWrite(inj[0].Path) && len(journalOf(t, root)) == 0 {
		// The run's first journal write failed: nothing may be removed.
		if d := registryFiles(baseTree).Diff(registryFiles(regtest.Snapshot(t, root))); len(d) > 0 {
			t.Errorf("the journal could not be written, yet the registry's files changed:\n%s", strings.Join(d, "\n"))
		}
	}
	if fc.rerun != nil {
		args = nil
		if again := fc.rerun(t, root); again != nil {
			args = append([]string{"--root", root}, again...)
		}
	}
	if args != nil {
		mustRun(t, 0, args...)
	}
	if d := want.Diff(regtest.Snapshot(t, root).WithoutJournal()); len(d) > 0 {
		t.Errorf("after %v and a clean re-run, the tree differs from the uninterrupted run's (%d):\n%s",
			inj[0], len(d), strings.Join(d, "\n"))
	}
}

// assertNothingLiveBroken: check finds nothing, every tag pulls whole, and
// every tag the uninterrupted run keeps is still there.
func assertNothingLiveBroken(t *testing.T, root string, keep map[string][]string) {
	t.Helper()
	if res := runCLI(t, "--root", root, "check"); res.Code != 0 {
		t.Errorf("check after the fault: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	r := regtest.Start(t, root)
	r.AssertAllTagsWhole(t)
	have := r.Tags(t)
	for repo, tags := range keep {
		for _, tag := range tags {
			if !contains(have[repo], tag) {
				t.Errorf("tag %s:%s, which the uninterrupted run keeps, is gone", repo, tag)
			}
		}
	}
}

func namesFault(stderr string, inj []faults.Injection) bool {
	if !strings.Contains(stderr, "input/output error") {
		return false
	}
	for _, i := range inj {
		if strings.Contains(stderr, i.Path) {
			return true
		}
	}
	return false
}

// faultPoints is which calls of kind k to fail, among count: all of them
// under stress, else the first, the last and one drawn with a
// seed fixed per case and kind.
func faultPoints(name string, k faults.Kind, count int) []int {
	if count == 0 {
		return nil
	}
	if stressMode() {
		all := make([]int, count)
		for i := range all {
			all[i] = i + 1
		}
		return all
	}
	h := fnv.New64a()
	fmt.Fprint(h, name, k)
	rng := rand.New(rand.NewPCG(h.Sum64(), 7))
	set := map[int]bool{1: true, count: true, 1 + rng.IntN(count): true}
	var ns []int
	for n := range set {
		if n >= 1 && n <= count {
			ns = append(ns, n)
		}
	}
	sort.Ints(ns)
	return ns
}

func faultsString(c map[faults.Kind]int) string {
	var parts []string
	for _, k := range faults.AllKinds {
		if c[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", k, c[k]))
		}
	}
	return strings.Join(parts, " ")
}

func nonEmpty(tags map[string][]string) map[string][]string {
	out := map[string][]string{}
	for repo, ts := range tags {
		if len(ts) > 0 {
			out[repo] = ts
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sampleFixture is the sample registry with push times spread over 60
// days (oldest first in each repository), in a directory the test keeps.
func sampleFixture(t *testing.T) string {
	t.Helper()
	root, info := regtest.LoadSample(t)
	refs := make([]string, 0, len(info.Tags))
	for ref := range info.Tags {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	now := time.Now()
	for i, ref := range refs {
		repo, tag, _ := strings.Cut(ref, ":")
		regtest.SetPushed(t, root, repo, tag, now.Add(-time.Duration(60-i)*24*time.Hour))
	}
	return root
}

// untaggedFixture is the sample with the seed case's tags removed by hand
// (their directories deleted), so gc --delete-untagged has work to do.
func untaggedFixture(t *testing.T) string {
	t.Helper()
	root := sampleFixture(t)
	for _, ref := range []string{"i:T12", "i:T22", "i:T52", "team/app:v1"} {
		repo, tag, _ := strings.Cut(ref, ":")
		if err := os.RemoveAll(regtest.TagDir(root, repo, tag)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(regtest.RepoDir(root, "i"), "_manifests")); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestReliabilityFaultsTagRm(t *testing.T) {
	t.Parallel()
	refs := []string{"i:T12", "i:T22", "i:T52", "team/app:latest"}
	sweepFaults(t, faultCase{
		name:    "tag rm",
		fixture: sampleFixture,
		args:    append([]string{"tag", "rm"}, refs...),
		rerun: func(t *testing.T, root string) []string {
			// The operator re-runs with the tags still there: tag rm
			// refuses a REF that names no tag.
			have := regtest.Start(t, root).Tags(t)
			args := []string{"tag", "rm"}
			for _, ref := range refs {
				repo, tag, _ := strings.Cut(ref, ":")
				if contains(have[repo], tag) {
					args = append(args, ref)
				}
			}
			if len(args) == 2 {
				return nil
			}
			return args
		},
	})
}

func TestReliabilityFaultsPrune(t *testing.T) {
	t.Parallel()
	sweepFaults(t, faultCase{
		name:    "prune",
		fixture: sampleFixture,
		args:    []string{"prune", "--repo", "i", "--repo", "team/*", "--keep-last", "1", "--grace", "0"},
	})
}

func TestReliabilityFaultsGC(t *testing.T) {
	t.Parallel()
	sweepFaults(t, faultCase{
		name:    "gc",
		fixture: untaggedFixture,
		args:    []string{"gc", "--delete-untagged", "--grace", "0"},
	})
}

// isCacheCall reports whether call c was the manifest reference cache's
// own: reading or writing its file.
func isCacheCall(c faults.Injection) bool {
	return strings.HasSuffix(c.Path, "/"+storage.StateDir+"/"+scan.RefCacheName)
}
