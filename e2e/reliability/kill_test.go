package reliability

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gofrs/flock"
	"github.com/regprune/regprune/internal/gen"
	"github.com/regprune/regprune/internal/regtest"
)

// Kills (issue 7 item 2): the built binary runs gc --delete-untagged
// --grace 0 over a generated tree and is killed with SIGKILL at moments
// spread over an uninterrupted run's duration; after each kill check finds
// no broken tag, the lock is free, and a re-run converges to the
// uninterrupted result. SIGINT and SIGTERM stop the run between steps: a
// non-zero exit that says it was interrupted and what was done, and no
// half-deleted object. 10 kills in make test, 60 under make stress.

var gcArgs = []string{"gc", "--delete-untagged", "--grace", "0"}

func TestReliabilityKills(t *testing.T) {
	t.Parallel()
	bin := buildRegprune(t)
	base, res := killFixture(t)
	want, took := uninterruptedRun(t, bin, base)
	t.Logf("generated tree: %d repositories, %d tags, %d revisions, %d layer links, %d blobs; gc took %s",
		len(res.Repositories), res.TagCount(), res.Revisions, res.LayerLinks, res.Blobs, took)
	kills := 10
	if stressMode() {
		kills = 60
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	killed, finished, incomplete := 0, 0, 0
	for i := 0; i < kills; i++ {
		// One moment drawn in each of kills equal slices of the run.
		// Slices of the first 70% of the measured time: run times vary
		// with the machine's load, and a kill after the end kills nothing.
		at := time.Duration((float64(i) + rng.Float64()) / float64(kills) * 0.7 * float64(took))
		root := regtest.CopyTree(t, base)
		if stopAt(t, bin, root, at, syscall.SIGKILL) {
			killed++
		} else {
			finished++
		}
		if afterStop(t, bin, base, root, want, i%20 == 0) > 0 {
			incomplete++
		}
	}
	t.Logf("SIGKILL: %d kills over %s (%d runs finished before their kill); %d kills left an untagged revision incomplete (no tag broken)",
		killed, took, finished, incomplete)
	if killed < kills*2/3 {
		t.Errorf("only %d of %d runs were killed before they finished: the run is too short to spread kills", killed, kills)
	}
	t.Run("signals", func(t *testing.T) { signalRuns(t, bin, base, want, took) })
}

// signalRuns sends SIGINT and SIGTERM in turn at spread moments.
func signalRuns(t *testing.T, bin, base string, want regtest.Tree, took time.Duration) {
	n := 4
	if stressMode() {
		n = 20
	}
	stopped := 0
	for i := 0; i < n; i++ {
		sig := []syscall.Signal{syscall.SIGINT, syscall.SIGTERM}[i%2]
		at := time.Duration((float64(i) + 0.5) / float64(n) * 0.5 * float64(took))
		root := regtest.CopyTree(t, base)
		halfBefore := halfDeleted(t, root)
		cmd, out, errb := startGC(t, bin, root)
		// Before its handler is installed a signal kills the process:
		// that is the SIGKILL case; wait until the storage is opened.
		for deadline := time.Now().Add(time.Minute); !strings.Contains(errb.String(), "regprune: using") && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(at)
		_ = cmd.Process.Signal(sig)
		err := cmd.Wait()
		if err == nil {
			t.Logf("%s at %s: the run had finished", sig, at)
			continue
		}
		stopped++
		code := cmd.ProcessState.ExitCode()
		if code != 1 || !strings.Contains(strings.ToLower(errb.String()), "interrupt") {
			t.Errorf("%s at %s: exit %d (%v), want 1 with a message saying it was interrupted\nstdout:\n%s\nstderr:\n%s",
				sig, at, code, err, out, errb)
		}
		if !strings.Contains(out.String()+errb.String(), "removed") {
			t.Errorf("%s at %s: the output does not report what was removed:\nstdout:\n%s\nstderr:\n%s", sig, at, out, errb)
		}
		if h := halfDeleted(t, root); len(h) > len(halfBefore) {
			t.Errorf("%s at %s left half-deleted objects:\n%s", sig, at, strings.Join(h, "\n"))
		}
		if n := afterStop(t, bin, base, root, want, i == 0); n > 0 {
			t.Errorf("%s at %s: %d problems on untagged revisions: the run stopped in the middle of an image", sig, at, n)
		}
	}
	t.Logf("SIGINT/SIGTERM: %d of %d runs stopped by the signal", stopped, n)
}

// afterStop: check finds no broken tag, the journal records what the run
// removed, the lock is free, a re-run converges. It returns the problems
// check found on untagged revisions (which the re-run removes).
func afterStop(t *testing.T, bin, base, root string, want regtest.Tree, pull bool) int {
	t.Helper()
	untagged := checkTags(t, bin, root)
	assertJournalCovers(t, regtest.Snapshot(t, base), root)
	fl := flock.New(regtest.LockFile(root))
	if ok, err := fl.TryLock(); !ok || err != nil {
		t.Errorf("lock %s not free after the stop: %v %v", fl.Path(), ok, err)
	} else {
		_ = fl.Unlock()
	}
	if pull {
		regtest.Start(t, root).AssertAllTagsWhole(t)
	}
	// The built binary (no race detector) is faster than an in-process run.
	if out, err := exec.Command(bin, append([]string{"--root", root, "--quiet"}, gcArgs...)...).CombinedOutput(); err != nil {
		t.Errorf("re-run: %v\n%s", err, out)
	}
	if d := want.Diff(regtest.Snapshot(t, root).WithoutJournal()); len(d) > 0 {
		t.Errorf("the re-run did not converge to the uninterrupted result (%d differences):\n%s", len(d), strings.Join(d, "\n"))
	}
	return untagged
}

// checkTags runs check --json: a problem reached through a tag fails t;
// problems of untagged revisions are counted and logged.
func checkTags(t *testing.T, bin, root string) int {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "--root", root, "--json", "--quiet", "check")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	_ = cmd.Run()
	res := result{Stdout: stdout.String(), Stderr: stderr.String(), Code: cmd.ProcessState.ExitCode()}
	var out struct {
		Problems []struct{ Repository, Tag, Digest, Kind, Detail string }
	}
	if err := json.Unmarshal([]byte(res.Stdout), &out); err != nil || (res.Code != 0) != (len(out.Problems) > 0) {
		t.Fatalf("check --json: exit %d, %v\n%s%s", res.Code, err, res.Stdout, res.Stderr)
	}
	untagged := 0
	for _, p := range out.Problems {
		if p.Tag != "" {
			t.Errorf("broken tag %s:%s: %s %s: %s", p.Repository, p.Tag, p.Kind, p.Digest, p.Detail)
			continue
		}
		untagged++
		t.Logf("untagged revision left incomplete: %s %s %s: %s", p.Repository, p.Kind, p.Digest, p.Detail)
	}
	return untagged
}

// stopAt starts gc on root, sends sig after d, and says whether the
// signal ended the process (false: it had finished).
func stopAt(t *testing.T, bin, root string, d time.Duration, sig syscall.Signal) bool {
	t.Helper()
	cmd, _, errb := startGC(t, bin, root)
	time.Sleep(d)
	_ = cmd.Process.Signal(sig)
	err := cmd.Wait()
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return true
	}
	if err != nil {
		t.Errorf("gc exited %v before its kill:\n%s", err, errb)
	}
	return false
}

// syncBuffer is a bytes.Buffer safe to read while a process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startGC(t *testing.T, bin, root string) (*exec.Cmd, *syncBuffer, *syncBuffer) {
	t.Helper()
	out, errb := &syncBuffer{}, &syncBuffer{}
	cmd := exec.Command(bin, append([]string{"--root", root}, gcArgs...)...)
	cmd.Stdout, cmd.Stderr = out, errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, out, errb
}

// uninterruptedRun runs gc with the binary on a copy of base and returns
// the tree it leaves and how long it took.
func uninterruptedRun(t *testing.T, bin, base string) (regtest.Tree, time.Duration) {
	t.Helper()
	root := regtest.CopyTree(t, base)
	cmd, out, errb := startGC(t, bin, root)
	start := time.Now()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("uninterrupted gc: %v\n%s%s", err, out, errb)
	}
	took := time.Since(start)
	if res := runCLI(t, "--root", root, "check"); res.Code != 0 {
		t.Fatalf("check after the uninterrupted gc: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	return regtest.Snapshot(t, root).WithoutJournal(), took
}

// killFixture generates a tree big enough that gc runs for a while.
func killFixture(t *testing.T) (string, *gen.Result) {
	t.Helper()
	c := gen.Defaults()
	c.Seed = 7
	c.Repositories = 10
	c.TagsPerRepository = 5
	c.UntaggedShare = 0.4
	c.OrphanBlobs = 20
	if stressMode() {
		c.Repositories = 60
	}
	root := t.TempDir()
	res, err := gen.Generate(root, c)
	if err != nil {
		t.Fatal(err)
	}
	return root, res
}

// buildRegprune builds the command into a temporary directory.
func buildRegprune(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "regprune")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Join("..", "..") // the repository's root: package main
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// halfDeleted lists objects a deletion left incomplete: a blob, revision,
// layer link or tag history entry directory without its file, a tag
// without current/link.
func halfDeleted(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	v2 := regtest.V2Dir(root)
	err := filepath.WalkDir(v2, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(p, v2))
		parent := filepath.Base(filepath.Dir(p))
		var need string
		switch {
		case strings.HasPrefix(rel, "/blobs/sha256/") && len(d.Name()) == 64:
			need = "data"
		case parent == "sha256" && strings.HasPrefix(rel, "/repositories/") && len(d.Name()) == 64:
			need = "link"
		case filepath.Base(filepath.Dir(filepath.Dir(p))) == "_manifests" && parent == "tags":
			need = "current/link"
		}
		if need != "" {
			if _, err := os.Stat(filepath.Join(p, need)); err != nil {
				out = append(out, rel+" has no "+need)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
