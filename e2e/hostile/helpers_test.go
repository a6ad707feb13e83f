package hostile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/cli"
	"github.com/regprune/regprune/internal/regtest"
	"golang.org/x/sys/unix"
)

// result is what one in-process run of regprune printed and returned.
type result struct {
	Args           []string
	Stdout, Stderr string
	Code           int
}

func (r result) String() string {
	return fmt.Sprintf("regprune %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.Args, " "), r.Code, r.Stdout, r.Stderr)
}

// output is everything the run printed.
func (r result) output() string { return r.Stdout + r.Stderr }

// runLimit bounds one run: a command blocked on a named pipe fails the
// test instead of hanging it.
const runLimit = 2 * time.Minute

// run runs regprune in-process with args (without the program name).
func run(t testing.TB, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(context.Background(), append([]string{"regprune"}, args...), &out, &errb)
	}()
	select {
	case code := <-done:
		return result{Args: args, Stdout: out.String(), Stderr: errb.String(), Code: code}
	case <-time.After(runLimit):
		t.Fatalf("regprune %v: still running after %v (blocked?)", args, runLimit)
		return result{}
	}
}

// oldTime is the modification time of everything in a canary.
var oldTime = time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)

// canaryEntry is one entry of a canary as lstat and its bytes show it.
type canaryEntry struct {
	Mode  fs.FileMode
	MTime time.Time
	Size  int64
	Hash  string // content of a file, target of a symlink
}

// canary is a directory outside the storage root every hazard points
// into; snapshot records it so that any change shows.
type canary struct{ dir string }

// newCanary makes a canary with a few files of its own: a home directory
// with a key, an old upload-looking directory, a file named like a lock.
func newCanary(t testing.TB) *canary {
	t.Helper()
	c := &canary{dir: t.TempDir()}
	for name, data := range map[string]string{
		"home/.ssh/id_rsa": "-----BEGIN KEY-----\ncanary\n",
		"home/notes.txt":   "keep me\n",
		"etc/passwd":       "root:x:0:0:root:/root:/bin/bash\n",
		"old/0123456789abcdef0123456789abcdef/data":  "not an upload of this registry\n",
		"old/5d1ae2c4-51d5-4d0e-9a4a-1a2b3c4d5e6f/x": "old\n",
	} {
		p := filepath.Join(c.dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// path is name inside the canary.
func (c *canary) path(name string) string { return filepath.Join(c.dir, name) }

// age sets every entry of the canary (not following symlinks) to oldTime.
func (c *canary) age(t testing.TB) {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(c.dir, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir():
			dirs = append(dirs, p)
			return nil
		}
		return lutimes(p, oldTime)
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Chtimes(dirs[i], oldTime, oldTime); err != nil {
			t.Fatal(err)
		}
	}
}

// lutimes sets the times of p itself (a symlink's own).
func lutimes(p string, when time.Time) error {
	ts := []unix.Timespec{unix.NsecToTimespec(when.UnixNano()), unix.NsecToTimespec(when.UnixNano())}
	return unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW)
}

// snapshot records every entry of the canary: mode, time, size, bytes.
func (c *canary) snapshot(t testing.TB) map[string]canaryEntry {
	t.Helper()
	out := map[string]canaryEntry{}
	err := filepath.WalkDir(c.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		e := canaryEntry{Mode: fi.Mode(), MTime: fi.ModTime(), Size: fi.Size()}
		h := sha256.New()
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			io.WriteString(h, target)
		case fi.Mode().IsRegular():
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return err
			}
		case fi.IsDir():
			es, err := os.ReadDir(p)
			if err != nil {
				return err
			}
			for _, x := range es {
				io.WriteString(h, x.Name()+"\n")
			}
		}
		e.Hash = hex.EncodeToString(h.Sum(nil))
		rel, _ := filepath.Rel(c.dir, p)
		out[rel] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// assertUnchanged fails t, naming every difference, unless the canary
// is as before recorded it.
func (c *canary) assertUnchanged(t testing.TB, before map[string]canaryEntry, what string) {
	t.Helper()
	after := c.snapshot(t)
	var diff []string
	for p, b := range before {
		a, ok := after[p]
		switch {
		case !ok:
			diff = append(diff, "removed "+p)
		case a != b:
			diff = append(diff, fmt.Sprintf("changed %s: %+v -> %+v", p, b, a))
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			diff = append(diff, "created "+p)
		}
	}
	sort.Strings(diff)
	if len(diff) > 0 {
		t.Errorf("%s: the canary outside the root changed:\n  %s", what, strings.Join(diff, "\n  "))
	}
}

// moveOut moves path (inside the root) into the canary as name and puts
// a symbolic link to it in its place: the registry follows it and still
// serves what it holds; regprune must neither follow nor change it.
func moveOut(t testing.TB, c *canary, path, name string) {
	t.Helper()
	dst := c.path(name)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, dst); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dst, path); err != nil {
		t.Fatal(err)
	}
}

// moveBack undoes moveOut.
func moveBack(t testing.TB, c *canary, path, name string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(c.path(name), path); err != nil {
		t.Fatal(err)
	}
}

// copyDir copies the directory src to dst (which must not exist).
func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
}

// mkfifo makes a named pipe at p, replacing what is there.
func mkfifo(t testing.TB, p string) {
	t.Helper()
	if err := os.RemoveAll(p); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
}

// mksocket makes a unix socket at p (the listener is closed at once;
// the socket file stays).
func mksocket(t testing.TB, p string) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: p}); err != nil {
		t.Fatalf("bind %s: %v", p, err)
	}
}

// repoDir, blobDir and the rest are paths of the layout under root.
func repoDir(root, repo string) string { return regtest.RepoDir(root, repo) }

func reposDir(root string) string { return filepath.Join(regtest.V2Dir(root), "repositories") }

func blobsDir(root string) string { return filepath.Join(regtest.V2Dir(root), "blobs") }

// names reports whether run r names culprit: as is, or for a tag
// "repo:tag" as the REPOSITORY and TAG columns of a table row.
func names(r result, culprit string) bool {
	out := r.output()
	if strings.Contains(out, culprit) {
		return true
	}
	repo, tag, ok := strings.Cut(culprit, ":")
	if !ok || strings.Contains(repo, "/docker/") {
		return false
	}
	return regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(repo) + `\s+` + regexp.QuoteMeta(tag) + `\s`).MatchString(out)
}
