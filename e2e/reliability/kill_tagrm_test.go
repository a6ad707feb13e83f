package reliability

import (
	"math/rand/v2"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/gen"
	"github.com/regprune/regprune/internal/regtest"
)

// Kills during tag rm (issue 16): the built binary removes every tag of a
// generated tree and is killed with SIGKILL at moments spread over an
// uninterrupted run; after each kill the journal holds every tag that is
// gone, and restoring its record brings the storage back to what it was
// (every tag whole: check finds nothing). 6 kills in make test, 40 under
// make stress.
func TestReliabilityKillsTagRm(t *testing.T) {
	t.Parallel()
	bin := buildRegprune(t)
	c := gen.Defaults()
	c.Seed, c.Repositories, c.TagsPerRepository, c.UntaggedShare = 11, 6, 15, 0
	base := t.TempDir()
	res, err := gen.Generate(base, c)
	if err != nil {
		t.Fatal(err)
	}
	refs := make([]string, len(res.Repositories))
	for i, repo := range res.Repositories {
		refs[i] = repo + ":*"
	}
	args := append([]string{"--root", "", "--quiet", "tag", "rm"}, refs...)
	want := registryFiles(regtest.Snapshot(t, base))
	took := timedRun(t, bin, base, args)
	t.Logf("generated tree: %d repositories, %d tags; tag rm of all took %s", len(res.Repositories), res.TagCount(), took)
	kills := 6
	if stressMode() {
		kills = 40
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	midway := 0
	for i := 0; i < kills; i++ {
		at := time.Duration((float64(i) + rng.Float64()) / float64(kills) * float64(took))
		root := regtest.CopyTree(t, base)
		args[1] = root
		cmd := exec.Command(bin, args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(at)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		removed := assertJournalCovers(t, regtest.Snapshot(t, base), root)
		if len(removed) > 0 && len(removed) < res.TagCount() {
			midway++
		}
		for _, rec := range journalOf(t, root) {
			// The built binary (no race detector) is faster than an in-process run.
			if out, err := exec.Command(bin, "--root", root, "--quiet", "restore", rec.Run).CombinedOutput(); err != nil {
				t.Errorf("restore %s after a kill at %s: %v\n%s", rec.Run, at, err, out)
			}
		}
		if d := want.Diff(registryFiles(regtest.Snapshot(t, root))); len(d) > 0 {
			t.Errorf("kill at %s (%d tags removed), then restore: the registry's files differ (%d):\n%s",
				at, len(removed), len(d), strings.Join(d, "\n"))
		}
		checkTags(t, bin, root)
	}
	t.Logf("SIGKILL: %d kills over %s; %d landed while tags were being removed, each restored whole", kills, took, midway)
}

// timedRun runs the binary uninterrupted on a copy of base (args[1] is
// the root) and returns how long it took.
func timedRun(t *testing.T, bin, base string, args []string) time.Duration {
	t.Helper()
	root := regtest.CopyTree(t, base)
	args[1] = root
	start := time.Now()
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted %v: %v\n%s", args, err, out)
	}
	return time.Since(start)
}
