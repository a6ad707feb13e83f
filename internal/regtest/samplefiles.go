package regtest

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// SampleInfoFile is the name, in SampleDir, of the committed SampleInfo.
const SampleInfoFile = "sample.json"

// SampleDir is the committed copy of the sample registry: the registry
// root testdata/sample of this module (found from the working directory
// up to go.mod). It holds docker/registry/v2 and sample.json.
func SampleDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("regtest: working directory: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata", "sample")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("regtest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// LoadSample copies the committed sample registry into a t.TempDir() and
// returns that root with the committed description of it. Faster than
// Sample (nothing is pushed); TestSample keeps both identical.
func LoadSample(t testing.TB) (string, SampleInfo) {
	t.Helper()
	dir := SampleDir(t)
	var info SampleInfo
	b, err := os.ReadFile(filepath.Join(dir, SampleInfoFile))
	if err == nil {
		err = json.Unmarshal(b, &info)
	}
	if err != nil {
		t.Fatalf("regtest: sample description: %v (regenerate: go test ./internal/regtest -run TestSample -update)", err)
	}
	root := t.TempDir()
	if err := copyTree(filepath.Join(dir, "docker"), filepath.Join(root, "docker")); err != nil {
		t.Fatalf("regtest: copy the sample: %v", err)
	}
	return root, info
}

// RemoveEmptyDirs removes every empty directory under root (not root
// itself), deepest first, as git would lose them (the registry leaves an
// empty _uploads behind every finished upload).
func RemoveEmptyDirs(t testing.TB, root string) {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && p != root {
			dirs = append(dirs, p)
		}
		return err
	})
	if err != nil {
		t.Fatalf("regtest: walk %s: %v", root, err)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			t.Fatalf("regtest: read %s: %v", d, err)
		}
		if len(entries) > 0 {
			continue
		}
		if err := os.Remove(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("regtest: remove %s: %v", d, err)
		}
	}
}

// writeSample replaces the committed sample with the tree under root and
// its description.
func writeSample(t testing.TB, root string, info SampleInfo) {
	t.Helper()
	dir := SampleDir(t)
	if err := os.RemoveAll(filepath.Join(dir, "docker")); err != nil {
		t.Fatalf("regtest: remove the old sample: %v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("regtest: %v", err)
	}
	if err := copyTree(filepath.Join(root, "docker"), filepath.Join(dir, "docker")); err != nil {
		t.Fatalf("regtest: write the sample: %v", err)
	}
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		t.Fatalf("regtest: sample description: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, SampleInfoFile), append(b, '\n'), 0o644); err != nil {
		t.Fatalf("regtest: write the sample description: %v", err)
	}
}
