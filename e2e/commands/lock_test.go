package commands

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gofrs/flock"
	"github.com/regprune/regprune/internal/regtest"
)

// flockHolderEnv names the lock file the helper process holds.
const flockHolderEnv = "REGPRUNE_TEST_CLI_FLOCK_HOLDER"

// TestFlockHolderProcess is the second process of the CLI lock tests, not
// a test: run as a child by holdFlock, it flocks the file named in its
// environment as any other regprune would, says so and holds the lock
// until it is killed. Run normally, it returns at once.
func TestFlockHolderProcess(t *testing.T) {
	if p := os.Getenv(flockHolderEnv); p != "" {
		ok, err := flock.New(p).TryLock()
		fmt.Println("locked:", ok, err)
		time.Sleep(time.Minute)
		os.Exit(3)
	}
}

// holdFlock starts a child process holding root's lock and returns once it
// does. kill kills it: the kernel releases its lock.
func holdFlock(t *testing.T, root string) (kill func()) {
	t.Helper()
	ctx, kill := context.WithCancel(context.Background())
	child := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestFlockHolderProcess$")
	child.Env = append(os.Environ(), flockHolderEnv+"="+regtest.LockFile(root))
	out, err := child.StdoutPipe()
	if err == nil {
		err = child.Start()
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kill(); _ = child.Wait() })
	if line, err := bufio.NewReader(out).ReadString('\n'); line != "locked: true <nil>\n" {
		t.Fatalf("lock holder: %q, %v", line, err)
	}
	return kill
}

// TestTagRmLocked: with another process holding the lock, tag rm fails at
// once with exit status 3 naming the lock file, and changes nothing;
// --dry-run and tag ls do not care; --lock-timeout waits for the holder.
func TestTagRmLocked(t *testing.T) {
	t.Parallel()
	root, _ := regtest.LoadSample(t)
	regtest.WriteFile(t, regtest.LockFile(root), nil)
	kill := holdFlock(t, root)
	before := regtest.Snapshot(t, root)

	res := mustRun(t, exitLocked, "--root", root, "tag", "rm", "i:T12")
	if !strings.Contains(res.Stderr, regtest.LockFile(root)) || !strings.Contains(res.Stderr, "locked by another process") {
		t.Errorf("stderr does not name the lock file:\n%s", res.Stderr)
	}
	if res.Stdout != "" || strings.Contains(res.Stderr, "waiting") {
		t.Errorf("a run that failed on the lock printed a summary or waited:\n%s%s", res.Stdout, res.Stderr)
	}
	start := time.Now()
	res = mustRun(t, exitLocked, "--root", root, "--lock-timeout", "300ms", "tag", "rm", "i:T12")
	if waited := time.Since(start); waited < 300*time.Millisecond || !strings.Contains(res.Stderr, "waited 300ms") {
		t.Errorf("--lock-timeout 300ms: gave up after %s:\n%s", waited, res.Stderr)
	}
	// The wait is said once, naming the lock; no summary after it either.
	wait := "regprune: waiting up to 300ms for the lock file " + regtest.LockFile(root) + ", held by another process"
	if strings.Count(res.Stderr, "waiting") != 1 || !strings.Contains(res.Stderr, wait) || res.Stdout != "" {
		t.Errorf("--lock-timeout 300ms: stdout or the wait message:\n%s%s", res.Stdout, res.Stderr)
	}
	// gc and prune too: no summary, in text or JSON, and -q says nothing
	// but the error.
	for _, args := range [][]string{
		{"gc"}, {"--json", "gc", "--delete-untagged"}, {"prune", "--keep-last", "1"},
		{"--json", "prune", "--tag", "T1.*"}, {"-q", "--lock-timeout", "100ms", "tag", "rm", "i:T12"},
	} {
		res := mustRun(t, exitLocked, append([]string{"--root", root}, args...)...)
		if res.Stdout != "" || !strings.Contains(res.Stderr, "locked by another process") {
			t.Errorf("regprune %q: stdout not empty or no lock error:\n%s%s", args, res.Stdout, res.Stderr)
		}
		if args[0] == "-q" && strings.Count(strings.TrimSpace(res.Stderr), "\n") != 0 {
			t.Errorf("-q: more than the error on stderr:\n%s", res.Stderr)
		}
	}
	mustRun(t, 0, "--root", root, "tag", "rm", "--dry-run", "i:T12")
	mustRun(t, 0, "--root", root, "tag", "ls")
	regtest.AssertUnchanged(t, root, before)

	// --lock-timeout waits; a killed holder leaves no lock behind.
	time.AfterFunc(300*time.Millisecond, kill)
	mustRun(t, 0, "--root", root, "--lock-timeout", "30s", "tag", "rm", "i:T12")
	regtest.AssertMissing(t, regtest.TagDir(root, "i", "T12"))
}

// TestUsageExitStatus: bad flags, unknown commands and bad arguments exit 2.
func TestUsageExitStatus(t *testing.T) {
	t.Parallel()
	root, _ := regtest.LoadSample(t)
	before := regtest.Snapshot(t, root)
	cases := [][]string{
		{"bogus"},
		{"--root", root, "bogus"},
		{"--bogus", "tag", "ls"},
		{"--root", root, "tag", "bogus"},
		{"--root", root, "tag", "ls", "--bogus"},
		{"--root", root, "tag", "rm", "--bogus", "i:T12"},
		{"--root", root, "--lock-timeout", "soon", "tag", "rm", "i:T12"},
		{"--root", root, "--config", "/etc/x.yml", "tag", "ls"},
		{"--root", root, "--log-level", "loud", "tag", "ls"},
		{"--root", root, "tag", "ls", "../i"},
		{"--root", root, "tag", "ls", "_x"},
	}
	for _, args := range cases {
		res := mustRun(t, exitUsage, args...)
		if !strings.Contains(res.Stderr, "usage") {
			t.Errorf("regprune %q: stderr does not say usage:\n%s", args, res.Stderr)
		}
	}
	regtest.AssertUnchanged(t, root, before)
	for _, args := range [][]string{{"--help"}, {"tag", "--help"}, {"tag"}, {"tag", "rm", "--help"}} {
		if res := mustRun(t, 0, args...); !strings.Contains(res.Stdout, "USAGE") {
			t.Errorf("regprune %q: no help:\n%s", args, res.Stdout)
		}
	}
	if res := mustRun(t, 0, "--help"); !strings.Contains(res.Stdout, "3 lock held") {
		t.Errorf("--help does not list the exit statuses:\n%s", res.Stdout)
	}
}
