package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/cli"
	"github.com/regprune/regprune/internal/regtest"
)

// TestTagRmHostPrefixedRefs: references as docker and crane print them,
// with the registry's host:port in front, name the repository below it.
func TestTagRmHostPrefixedRefs(t *testing.T) {
	t.Parallel()
	r, info := served(t)
	before := regtest.Snapshot(t, r.Root)
	res := mustRun(t, 0, "--root", r.Root, "tag", "rm", r.Host+"/i:T21", "localhost/team/app/api:v1", "127.0.0.1:5055/i:T5?")
	for _, ref := range []string{"i:T21", "team/app/api:v1", "i:T51", "i:T52"} {
		if !hasLine(res.Stdout, "removed", ref, info.Tags[ref].String()) {
			t.Errorf("output does not list %s:\n%s", ref, res.Stdout)
		}
		r.AssertGone(t, ref)
	}
	assertOnlyTagsGone(t, r.Root, before, "i:T21", "team/app/api:v1", "i:T51", "i:T52")
	r.AssertAllTagsWhole(t)
}

// hasLine says whether out has a line of exactly these fields.
func hasLine(out string, fields ...string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.Join(strings.Fields(l), " ") == strings.Join(fields, " ") {
			return true
		}
	}
	return false
}

// TestTagRmDigestRef: REPOSITORY@DIGEST removes every tag pointing at that
// manifest (T12 and T13 share one), and only those; --json names each
// with the digest removed.
func TestTagRmDigestRef(t *testing.T) {
	t.Parallel()
	r, info := served(t)
	before := regtest.Snapshot(t, r.Root)
	shared := info.SeedShared.String()
	res := mustRun(t, 0, "--root", r.Root, "--json", "tag", "rm", r.Host+"/i@"+shared)
	var out tagRmJSON
	if err := json.Unmarshal([]byte(res.Stdout), &out); err != nil {
		t.Fatalf("--json: %v\n%s", err, res.Stdout)
	}
	var got []string
	for _, x := range out.Removed {
		got = append(got, x.Repository+":"+x.Tag+"@"+x.Digest)
	}
	if want := []string{"i:T12@" + shared, "i:T13@" + shared}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("removed %q, want %q", got, want)
	}
	r.AssertGone(t, "i:T12")
	r.AssertGone(t, "i:T13")
	r.AssertWhole(t, "i@"+shared) // the manifest stays for gc
	assertOnlyTagsGone(t, r.Root, before, "i:T12", "i:T13")
	r.AssertAllTagsWhole(t)

	// The subject of team/app:v1 is tagged in two repositories: a glob
	// repository with its digest finds both.
	res = mustRun(t, 0, "--root", r.Root, "tag", "rm", "*/*@"+info.Subject.String(), "*/*/*@"+info.Subject.String())
	r.AssertGone(t, "team/app:v1")
	r.AssertGone(t, "a/b/c:1.0")
	if !strings.Contains(res.Stdout, "removed 2 tags from 2 repositories") {
		t.Errorf("output:\n%s", res.Stdout)
	}
	r.AssertAllTagsWhole(t)
}

// TestTagRmTagAtDigest: REPOSITORY:TAG@DIGEST removes the tag while it
// points at DIGEST; once it moved, it is refused with exit 1 naming the tag
// and both digests, and nothing is removed (the other REFs neither).
func TestTagRmTagAtDigest(t *testing.T) {
	t.Parallel()
	r, info := served(t)
	t21, t22 := info.Tags["i:T21"].String(), info.Tags["i:T22"].String()
	mustRun(t, 0, "--root", r.Root, "tag", "rm", "i:T21@"+t21)
	r.AssertGone(t, "i:T21")

	before := regtest.Snapshot(t, r.Root)
	res := mustRun(t, 1, "--root", r.Root, "tag", "rm", "i:T11", "i:T22@"+t21)
	for _, want := range []string{"i:T22", "points at " + t22, "not " + t21, "left in place"} {
		if !strings.Contains(res.Stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, res.Stderr)
		}
	}
	if res.Stdout != "" {
		t.Errorf("a refused run printed a summary:\n%s", res.Stdout)
	}
	regtest.AssertUnchanged(t, r.Root, before)
	r.AssertAllTagsWhole(t)

	// The tag pushed again (same name, another image): the old digest no
	// longer names it.
	r.PushImage(t, "i:T22", regtest.WithSeed(2222))
	res = mustRun(t, 1, "--root", r.Root, "tag", "rm", "i:T22@"+t22)
	if !strings.Contains(res.Stderr, "tag moved") || !strings.Contains(res.Stderr, "not "+t22) {
		t.Errorf("stderr:\n%s", res.Stderr)
	}
	r.AssertWhole(t, "i:T22")
}

// lineWriter is an io.Writer safe for a concurrent reader that waits for
// a line containing some text.
type lineWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	wait string
	seen chan struct{}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if w.seen != nil && strings.Contains(w.buf.String(), w.wait) {
		close(w.seen)
		w.seen = nil
	}
	return n, err
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestTagRmResolvesUnderTheLock: a tag pushed again while tag rm waits for
// the lock is removed as it is then, and --json names the digest removed,
// not the one the tag had when the command started; with TAG@DIGEST of the
// old manifest, the re-pushed tag stays. The wait is said once on stderr,
// naming the lock file.
func TestTagRmResolvesUnderTheLock(t *testing.T) {
	t.Parallel()
	r, info := served(t)
	old := info.Tags["i:T21"].String()
	for _, atDigest := range []bool{false, true} {
		if atDigest { // the first round pushed i:T21 again
			old = regtest.DigestOf(t, r.PushImage(t, "i:T21", regtest.WithSeed(2121))).String()
		}
		kill := holdFlock(t, r.Root)
		ref, want := "i:T21", 0
		if atDigest {
			ref, want = "i:T21@"+old, 1
		}
		var out bytes.Buffer
		errw := &lineWriter{wait: "waiting up to 30s for the lock file", seen: make(chan struct{})}
		seen := errw.seen
		done := make(chan int)
		go func() {
			done <- cli.Run(context.Background(), []string{"regprune", "--root", r.Root, "--json", "--lock-timeout", "30s", "tag", "rm", ref}, &out, errw)
		}()
		select {
		case <-seen:
		case <-time.After(20 * time.Second):
			t.Fatalf("tag rm does not say it waits:\n%s", errw.String())
		}
		pushed := regtest.DigestOf(t, r.PushImage(t, "i:T21", regtest.WithSeed(int64(2100+want))))
		kill()
		if code := <-done; code != want {
			t.Fatalf("tag rm %s: exit %d, want %d\n%s%s", ref, code, want, out.String(), errw.String())
		}
		if n := strings.Count(errw.String(), "waiting up to"); n != 1 || !strings.Contains(errw.String(), regtest.LockFile(r.Root)) {
			t.Errorf("the wait is said %d times, or without the lock file:\n%s", n, errw.String())
		}
		if atDigest {
			if out.String() != "" || !strings.Contains(errw.String(), "tag i:T21 points at "+pushed.String()+", not "+old) {
				t.Errorf("TAG@DIGEST of the old manifest:\nstdout:\n%s\nstderr:\n%s", out.String(), errw.String())
			}
			r.AssertWhole(t, "i:T21")
			continue
		}
		var res tagRmJSON
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatalf("--json: %v\n%s", err, out.String())
		}
		if len(res.Removed) != 1 || res.Removed[0].Digest != pushed.String() {
			t.Errorf("--json names %+v, want the digest removed, %s (not %s)", res.Removed, pushed, old)
		}
		r.AssertGone(t, "i:T21")
	}
	r.AssertAllTagsWhole(t)
}
