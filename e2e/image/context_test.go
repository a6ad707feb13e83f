package image

import (
	"bufio"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// moduleRoot is the repository's root, from this package's directory
// (where go test runs the tests).
var moduleRoot = filepath.Join("..", "..")

// buildContext copies the repository as `docker build .` sends it: every
// file but those .dockerignore excludes. It returns the copy's directory.
func buildContext(t *testing.T) string {
	t.Helper()
	ignore := readDockerignore(t)
	dst := t.TempDir()
	err := filepath.WalkDir(moduleRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == moduleRoot {
			return err
		}
		rel, err := filepath.Rel(moduleRoot, p)
		if err != nil {
			return err
		}
		if dockerignored(ignore, filepath.ToSlash(rel)) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(p, filepath.Join(dst, rel))
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, must := range []string{"go.mod", "go.sum", "main.go"} {
		if _, err := os.Stat(filepath.Join(dst, must)); err != nil {
			t.Fatalf(".dockerignore leaves %s out of the build context", must)
		}
	}
	return dst
}

func readDockerignore(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(moduleRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var patterns []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "!") {
			t.Fatalf(".dockerignore: exceptions (%s) are not understood by this test", line)
		}
		patterns = append(patterns, strings.TrimPrefix(path.Clean(line), "/"))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return patterns
}

// dockerignored reports whether rel (slash-separated) matches a pattern:
// path.Match on the whole path, where a leading "**/" matches any number
// of leading directories.
func dockerignored(patterns []string, rel string) bool {
	for _, p := range patterns {
		if sub, ok := strings.CutPrefix(p, "**/"); ok {
			parts := strings.Split(rel, "/")
			for i := range parts {
				if m, _ := path.Match(sub, strings.Join(parts[i:], "/")); m {
					return true
				}
			}
			continue
		}
		if m, _ := path.Match(p, rel); m {
			return true
		}
	}
	return false
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func TestDockerignoreMatching(t *testing.T) {
	t.Parallel()
	patterns := []string{".git", "bin", "**/testdata", "**/*_test.go", "*.prom"}
	for rel, want := range map[string]bool{
		".git": true, "bin": true, "scan/testdata": true, "testdata": true, "a/b/testdata": true,
		"main_test.go": true, "gc/plan_test.go": true, "x.prom": true, "docs/x.prom": false,
		"main.go": false, "gc/plan.go": false, "binx": false, "internal/bin": false,
	} {
		if got := dockerignored(patterns, rel); got != want {
			t.Errorf("dockerignored(%q) = %v, want %v", rel, got, want)
		}
	}
}
