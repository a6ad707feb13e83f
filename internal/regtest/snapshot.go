package regtest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Entry is one file, directory or symlink of a Tree.
type Entry struct {
	Kind string // "file", "dir", "symlink" or "special" (pipe, socket, device)
	Size int64  // bytes, for files
	Hash string // sha256 of a file's bytes, a directory's sorted entry names, a symlink's target
}

func (e Entry) String() string {
	if e.Kind == "file" {
		return fmt.Sprintf("file %d bytes %.12s", e.Size, e.Hash)
	}
	return fmt.Sprintf("%s %.12s", e.Kind, e.Hash)
}

// Tree is a snapshot of everything under a root, keyed by slash-separated
// path relative to the root ("." is the root). Modification times are not
// part of it: a Tree compares names and bytes.
type Tree map[string]Entry

// Snapshot records every file and directory under root. Nothing is
// ignored (not even regprune's lock file: a command that must not change
// the storage must not create it either).
func Snapshot(t testing.TB, root string) Tree {
	t.Helper()
	tree := Tree{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		e, err := entryOf(p, d)
		if err != nil {
			return err
		}
		tree[filepath.ToSlash(rel)] = e
		return nil
	})
	if err != nil {
		t.Fatalf("regtest: snapshot %s: %v", root, err)
	}
	return tree
}

func entryOf(p string, d fs.DirEntry) (Entry, error) {
	h := sha256.New()
	switch {
	case d.Type()&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return Entry{}, err
		}
		io.WriteString(h, target)
		return Entry{Kind: "symlink", Hash: hex.EncodeToString(h.Sum(nil))}, nil
	case d.Type()&(fs.ModeNamedPipe|fs.ModeSocket|fs.ModeDevice|fs.ModeCharDevice) != 0:
		io.WriteString(h, d.Type().String()) // never opened: a named pipe would block
		return Entry{Kind: "special", Hash: hex.EncodeToString(h.Sum(nil))}, nil
	case d.IsDir():
		names, err := os.ReadDir(p)
		if err != nil {
			return Entry{}, err
		}
		for _, n := range names {
			io.WriteString(h, n.Name()+"\n")
		}
		return Entry{Kind: "dir", Hash: hex.EncodeToString(h.Sum(nil))}, nil
	}
	f, err := os.Open(p)
	if err != nil {
		return Entry{}, err
	}
	defer f.Close()
	n, err := io.Copy(h, f)
	if err != nil {
		return Entry{}, fmt.Errorf("read %s: %w", p, err)
	}
	return Entry{Kind: "file", Size: n, Hash: hex.EncodeToString(h.Sum(nil))}, nil
}

// JournalPath is the tree path of regprune's journal directory: records
// named by each run's start time differ between runs that did the same.
const JournalPath = "docker/registry/v2/.regprune/journal"

// WithoutJournal is t without regprune's journal (JournalPath and what it
// holds), for comparing what runs did to the registry's own files.
func (t Tree) WithoutJournal() Tree {
	out := make(Tree, len(t))
	for p, e := range t {
		if p != JournalPath && !strings.HasPrefix(p, JournalPath+"/") {
			out[p] = e
		}
	}
	return out
}

// JournalRecords lists the names of the journal's records in t, sorted.
func (t Tree) JournalRecords() []string {
	var out []string
	for p, e := range t {
		if e.Kind == "file" && strings.HasPrefix(p, JournalPath+"/") && !strings.Contains(p[len(JournalPath)+1:], "/") {
			out = append(out, p[len(JournalPath)+1:])
		}
	}
	sort.Strings(out)
	return out
}

// Diff lists, sorted by path, how after differs from t: "+ path (entry)"
// for what appeared, "- path (entry)" for what went, "~ path: old -> new"
// for what changed. Equal trees give nil.
func (t Tree) Diff(after Tree) []string {
	var out []string
	for _, p := range unionKeys(t, after) {
		old, inOld := t[p]
		cur, inCur := after[p]
		switch {
		case !inCur:
			out = append(out, fmt.Sprintf("- %s (%s)", p, old))
		case !inOld:
			out = append(out, fmt.Sprintf("+ %s (%s)", p, cur))
		case old != cur:
			out = append(out, fmt.Sprintf("~ %s: %s -> %s", p, old, cur))
		}
	}
	return out
}

func unionKeys(a, b Tree) []string {
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// AssertUnchanged fails t, listing every difference, unless the tree
// under root is byte-for-byte and name-for-name what before recorded.
func AssertUnchanged(t testing.TB, root string, before Tree) {
	t.Helper()
	if d := before.Diff(Snapshot(t, root)); len(d) > 0 {
		t.Errorf("regtest: %s changed (%d differences):\n%s", root, len(d), strings.Join(d, "\n"))
	}
}

// CopyTree copies the tree under src (files, directories, modes and
// modification times) into a new t.TempDir() and returns it.
func CopyTree(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	if err := copyTree(src, dst); err != nil {
		t.Fatalf("regtest: copy %s: %v", src, err)
	}
	return dst
}

// copyTree copies the tree under src into dst (which may exist).
func copyTree(src, dst string) error {
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		return copyEntry(p, filepath.Join(dst, rel), d)
	})
	if err != nil {
		return err
	}
	// Directory times last: writing their entries changed them.
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		return copyTime(p, filepath.Join(dst, rel))
	})
}

func copyEntry(src, dst string, d fs.DirEntry) error {
	fi, err := d.Info()
	if err != nil {
		return err
	}
	switch {
	case d.IsDir():
		return os.MkdirAll(dst, fi.Mode().Perm()|0o700)
	case d.Type()&fs.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.WriteFile(dst, b, fi.Mode().Perm()); err != nil {
		return err
	}
	return os.Chtimes(dst, fi.ModTime(), fi.ModTime())
}

func copyTime(src, dst string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	return os.Chtimes(dst, fi.ModTime(), fi.ModTime())
}
