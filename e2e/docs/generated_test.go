package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// moduleRoot is the repository's root, from this package's directory
// (where go test runs the tests).
var moduleRoot = filepath.Join("..", "..")

// generated are the parts of docs/ that `make docs` writes.
var generated = []string{"reference", "regprune.1", "completion"}

// TestGeneratedDocsUpToDate fails when docs/reference, docs/regprune.1 or
// docs/completion differ from what the commands generate (regprune docs,
// as make docs runs it, into a fresh directory): run `make docs`.
func TestGeneratedDocsUpToDate(t *testing.T) {
	t.Parallel()
	fresh := t.TempDir()
	mustRun(t, 0, "docs", "--dir", fresh)
	want, got := docsTree(t, fresh), docsTree(t, filepath.Join(moduleRoot, "docs"))
	for rel, content := range want {
		have, ok := got[rel]
		switch {
		case !ok:
			t.Errorf("docs/%s is missing: run make docs", rel)
		case have != content:
			t.Errorf("docs/%s is stale: run make docs", rel)
		}
	}
	for rel := range got {
		if _, ok := want[rel]; !ok {
			t.Errorf("docs/%s is not generated (a page of a command that is gone?): run make docs", rel)
		}
	}
	if len(want) < 5 {
		t.Errorf("regprune docs wrote %d files", len(want))
	}
}

// docsTree reads the generated parts of the docs directory dir: path
// relative to dir -> content.
func docsTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, part := range generated {
		err := filepath.WalkDir(filepath.Join(dir, part), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(dir, p)
			files[filepath.ToSlash(rel)] = string(data)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}
