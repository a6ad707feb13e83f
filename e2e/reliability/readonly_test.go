package reliability

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/faults"
	"github.com/regprune/regprune/internal/regtest"
)

// Read-only storage (issue 7 item 5): tag ls, check, scan and every
// --dry-run work on a storage the process cannot write, and attempt no
// write; the changing commands fail cleanly with nothing changed. Two
// variants: every driver write failing (faults), and a read-only bind
// mount (skipped where mount is not permitted).

var readOnlyReads = [][]string{
	{"tag", "ls"},
	{"--json", "tag", "ls"},
	{"check"},
	{"scan"},
	{"tag", "rm", "--dry-run", "i:T11", "team/*:latest"},
	{"prune", "--dry-run", "--repo", "i", "--keep-last", "1", "--grace", "0"},
	{"gc", "--dry-run", "--delete-untagged", "--grace", "0"},
}

var readOnlyWrites = [][]string{
	{"tag", "rm", "i:T11", "team/*:latest"},
	{"prune", "--repo", "i", "--keep-last", "1", "--grace", "0"},
	{"gc", "--delete-untagged", "--grace", "0"},
}

func TestReliabilityReadOnlyDriver(t *testing.T) {
	t.Parallel()
	root := untaggedFixture(t)
	before := regtest.Snapshot(t, root)
	for _, args := range readOnlyReads {
		res, fd := runFaulty(t, func(d *faults.Driver) { d.FailAll(faults.WriteKinds...) },
			append([]string{"--root", root}, args...)...)
		if res.Code != 0 || len(fd.Injected()) > 0 {
			t.Errorf("%v on a read-only storage: exit %d, writes attempted %v\n%s%s", args, res.Code, fd.Injected(), res.Stdout, res.Stderr)
		}
		regtest.AssertUnchanged(t, root, before)
	}
	for _, args := range readOnlyWrites {
		res, fd := runFaulty(t, func(d *faults.Driver) { d.FailAll(faults.WriteKinds...) },
			append([]string{"--root", root}, args...)...)
		if res.Code != 1 || !namesFault(res.Stderr, fd.Injected()) {
			t.Errorf("%v on a read-only storage: exit %d, want 1 naming a failed write (%v)\n%s%s",
				args, res.Code, fd.Injected(), res.Stdout, res.Stderr)
		}
		// The lock is a kernel lock on a file the driver does not see:
		// only that file may have appeared.
		after := regtest.Snapshot(t, root)
		delete(after, "docker/registry/v2/.regprune.lock")
		after["docker/registry/v2"] = before["docker/registry/v2"]
		if d := before.Diff(after); len(d) > 0 {
			t.Errorf("%v changed the storage although every write failed:\n%s", args, strings.Join(d, "\n"))
		}
	}
}

func TestReliabilityReadOnlyMount(t *testing.T) {
	t.Parallel()
	src := untaggedFixture(t)
	before := regtest.Snapshot(t, src)
	ro := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(ro, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "--bind", "-o", "ro", src, ro).CombinedOutput(); err != nil {
		t.Skipf("SKIPPED the read-only mount variant: mount --bind -o ro is not permitted here (%v: %s); "+
			"TestReliabilityReadOnlyDriver covers a storage that fails every write", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		// The commands ran in this process: the root directory each opened
		// is closed when the collector finds its storage unreachable
		// (storage.openRootDir), so collect before the mount is let go.
		var out []byte
		var err error
		for range 20 {
			runtime.GC()
			if out, err = exec.Command("umount", ro).CombinedOutput(); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("umount %s: %v %s", ro, err, out)
	})
	if f, err := os.Create(filepath.Join(ro, "probe")); err == nil {
		f.Close()
		t.Fatalf("the bind mount %s is writable", ro)
	}
	for _, args := range readOnlyReads {
		res := runCLI(t, append([]string{"--root", ro}, args...)...)
		if res.Code != 0 {
			t.Errorf("%v on a read-only mount: exit %d\n%s%s", args, res.Code, res.Stdout, res.Stderr)
		}
	}
	for _, args := range readOnlyWrites {
		res := runCLI(t, append([]string{"--root", ro}, args...)...)
		if res.Code != 1 || !strings.Contains(res.Stderr, "read-only file system") {
			t.Errorf("%v on a read-only mount: exit %d, want 1 saying the file system is read-only\n%s%s",
				args, res.Code, res.Stdout, res.Stderr)
		}
	}
	regtest.AssertUnchanged(t, src, before)
}
