package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/docker/distribution/registry/storage/driver"
	"github.com/docker/distribution/registry/storage/driver/factory"
)

// FuzzValidPath: the hand-written check accepts exactly what
// distribution's PathRegexp accepts.
func FuzzValidPath(f *testing.F) {
	for _, s := range []string{"/", "", "/a", "/a/", "//a", "/a//b", "/docker/registry/v2/blobs/sha256/ab/x/data",
		"/a/b c", "/a/../b", "/é", "/_layers/sha256-x.sig", "a/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if got, want := validPath(p), driver.PathRegexp.MatchString(p); got != want {
			t.Errorf("validPath(%q) = %v, PathRegexp says %v", p, got, want)
		}
	})
}

// localPair is a tree with distribution's filesystem driver and regprune's
// local driver over two identical copies of it.
func localPair(t *testing.T) (dist, loc driver.StorageDriver, distRoot, locRoot string) {
	t.Helper()
	mk := func() (driver.StorageDriver, string) {
		root := t.TempDir()
		files := map[string]string{
			"a/link":           "sha256:x",
			"blob/data":        "bytes",
			"full/link":        "sha256:y",
			"full/extra":       "more",
			"full/sub/deep":    "deep",
			"nest/link/inside": "a directory named like the file",
			"file":             "plain",
		}
		for p, c := range files {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, p), []byte(c), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.MkdirAll(filepath.Join(root, "empty"), 0o755); err != nil {
			t.Fatal(err)
		}
		d, err := factory.Create("filesystem", map[string]interface{}{"rootdirectory": root})
		if err != nil {
			t.Fatal(err)
		}
		return d, root
	}
	dist, distRoot = mk()
	_, locRoot = mk()
	l, err := newLocal(locRoot)
	if err != nil {
		t.Fatal(err)
	}
	return dist, l, distRoot, locRoot
}

// outcome is what a call returned, for comparison across drivers.
func outcome(v any, err error) string {
	var nf driver.PathNotFoundError
	var ip driver.InvalidPathError
	switch {
	case errors.As(err, &nf):
		return "not found: " + nf.Path
	case errors.As(err, &ip):
		return "invalid path: " + ip.Path
	case err != nil:
		return "error"
	}
	return fmt.Sprint(v)
}

// The local driver answers GetContent, Stat, List and Delete as
// distribution's filesystem driver does, and DeleteLeaf leaves the tree
// Delete leaves.
func TestLocalMatchesDriver(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	paths := []string{"/a", "/a/link", "/blob", "/blob/data", "/full", "/full/link", "/nest", "/nest/link",
		"/empty", "/file", "/missing", "/missing/link", "/file/x", "/a//link", "/a/", "relative", "/a/../file", "/"}
	dist, loc, distRoot, locRoot := localPair(t)
	for _, p := range paths {
		if p == "/" || strings.Contains(p, "..") {
			continue // the local driver refuses ".." (distribution's cleans it); "/" is not a file
		}
		b1, e1 := dist.GetContent(ctx, p)
		b2, e2 := loc.GetContent(ctx, p)
		if g, w := outcome(string(b2), e2), outcome(string(b1), e1); g != w {
			t.Errorf("GetContent(%q) = %s, driver: %s", p, g, w)
		}
		s1, e1 := dist.Stat(ctx, p)
		s2, e2 := loc.Stat(ctx, p)
		stat := func(fi driver.FileInfo) string {
			if fi == nil {
				return "nil"
			}
			return fmt.Sprint(fi.Path(), fi.Size(), fi.IsDir(), fi.ModTime().UnixNano() != 0)
		}
		if g, w := outcome(stat(s2), e2), outcome(stat(s1), e1); g != w {
			t.Errorf("Stat(%q) = %s, driver: %s", p, g, w)
		}
		l1, e1 := dist.List(ctx, p)
		l2, e2 := loc.List(ctx, p)
		sort.Strings(l1)
		sort.Strings(l2)
		if g, w := outcome(l2, e2), outcome(l1, e1); g != w {
			t.Errorf("List(%q) = %s, driver: %s", p, g, w)
		}
	}
	if _, err := loc.GetContent(ctx, "/a/../file"); !errors.As(err, new(driver.InvalidPathError)) {
		t.Errorf("GetContent(/a/../file) = %v, want an invalid path error", err)
	}
	for _, p := range []string{"/a", "/blob", "/full", "/nest", "/empty", "/file", "/missing"} {
		file := map[string]string{"/blob": "data"}[p]
		if file == "" {
			file = "link"
		}
		e1 := dist.Delete(ctx, p)
		e2 := loc.(*local).DeleteLeaf(ctx, p, file)
		if g, w := outcome("ok", e2), outcome("ok", e1); g != w {
			t.Errorf("DeleteLeaf(%q, %q) = %s, driver's Delete: %s", p, file, g, w)
		}
	}
	e1 := dist.Delete(ctx, "/missing")
	e2 := loc.Delete(ctx, "/missing")
	if g, w := outcome("ok", e2), outcome("ok", e1); g != w {
		t.Errorf("Delete(/missing) = %s, driver: %s", g, w)
	}
	if a, b := listTree(t, distRoot), listTree(t, locRoot); a != b {
		t.Errorf("trees differ after deletes:\ndriver: %s\nlocal:  %s", a, b)
	}
}

func listTree(t *testing.T, root string) string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		out = append(out, strings.TrimPrefix(p, root))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, " ")
}

func TestHasDotComponent(t *testing.T) {
	t.Parallel()
	for p, want := range map[string]bool{
		"/a/./b": true, "/a/../b": true, "/.": true, "/..": true, "/a/.": true, "/a/..": true,
		"/a/.b": false, "/a/..b": false, "/a/b.": false, "/a/b..": false, "/...": false, "/.regprune.lock": false,
		"/docker/registry/v2/blobs": false, "/a.b/c": false,
	} {
		if got := hasDotComponent(p); got != want {
			t.Errorf("hasDotComponent(%q) = %v, want %v", p, got, want)
		}
	}
}
