//go:build linux

package storage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/regprune/regprune/internal/regtest"
)

// Symbolic links that loop (repositories/l1 -> ., a repository's sub ->
// ..) end nothing and loop nothing: the walk lists them as stray and goes
// on; a file, a pipe, odd and reserved names, an empty directory, a
// repository named outside the grammar are stray too, never fatal.
func TestCatalogStrays(t *testing.T) {
	t.Parallel()
	h := newHostile(t, false)
	repos := h.abs(RepositoriesPath())
	for _, l := range [][2]string{{"l1", "."}, {"l2", "."}, {"app/sub", ".."}, {"out", h.canary}} {
		if err := os.Symlink(l[1], filepath.Join(repos, l[0])); err != nil {
			t.Fatal(err)
		}
	}
	regtest.WriteFile(t, filepath.Join(repos, "NOTES"), []byte("hello"))
	regtest.WriteFile(t, filepath.Join(repos, "team", "README"), []byte("team"))
	h.write(RepositoryPath("team/app")+"/_manifests/tags/t/current/link", hRev.String())
	h.write(RepositoryPath("a..b")+"/_manifests/tags/t/current/link", hRev.String())
	for _, d := range []string{"lost+found", "café", "a:b", ".snapshot", "_foo", "empty", "app/_weird"} {
		if err := os.MkdirAll(filepath.Join(repos, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(repos, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	var c *Catalog
	var err error
	done(t, "Catalog", func() { c, err = h.st.Catalog(context.Background(), 4) })
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Repositories, " "); got != "app other team/app" {
		t.Errorf("repositories %q", got)
	}
	want := []string{
		"NOTES: not a directory (file)", "_foo: name reserved by the registry (directory)",
		".snapshot: hidden name (directory)", "a..b: name outside the repository grammar (directory) data",
		"a:b: name outside the repository grammar (directory)", "app/_weird: name reserved by the registry (directory)",
		"app/sub: not a directory (symbolic link)", "café: name outside the repository grammar (directory)",
		"empty: empty directory (directory)", "l1: not a directory (symbolic link)", "l2: not a directory (symbolic link)",
		"lost+found: name outside the repository grammar (directory)", "out: not a directory (symbolic link)",
		"pipe: not a directory (special file)", "team/README: not a directory (file)",
	}
	var got []string
	for _, s := range c.Stray {
		line := fmt.Sprintf("%s: %s (%s)", strings.TrimPrefix(s.Path, RepositoriesPath()+"/"), s.Reason, s.Kind)
		if s.Data {
			line += " data"
		}
		got = append(got, line)
	}
	if g, w := strings.Join(got, "\n"), strings.Join(sortedCopy(want), "\n"); g != w {
		t.Errorf("strays:\n%s\nwant:\n%s", g, w)
	}
	// Repositories is Catalog's list, strays left out (gc applies the
	// stray policy to Catalog itself).
	if r, err := h.st.Repositories(context.Background(), 4); err != nil || strings.Join(r, " ") != "app other team/app" {
		t.Errorf("Repositories beside strays = %v, %v", r, err)
	}
	for _, s := range c.Stray {
		base := strings.TrimPrefix(s.Path, RepositoriesPath()+"/")
		if want := base == "l1" || base == "l2" || base == "app/sub" || base == "out"; s.Opaque() != want {
			t.Errorf("%s: Opaque() = %v", base, s.Opaque())
		}
	}
	h.unchanged()
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if RepositoriesPath()+"/"+out[j] < RepositoriesPath()+"/"+out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
