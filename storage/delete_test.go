//go:build linux

package storage

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/regprune/regprune/internal/regtest"
)

// A recursive delete refuses a tree holding a symbolic link anywhere, and
// removes nothing of it; one holding a named pipe removes the pipe.
func TestDeleteRefusesTreeWithSymlink(t *testing.T) {
	t.Parallel()
	for _, fallback := range []bool{false, true} {
		h := newHostile(t, fallback)
		ctx := context.Background()
		deep := UploadPath("app", hUpload) + "/hashstates/sha256/0"
		if err := os.MkdirAll(filepath.Dir(h.abs(deep)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(h.canary, h.abs(deep)); err != nil {
			t.Fatal(err)
		}
		before := regtest.Snapshot(t, h.root)
		wantAnomaly(t, "Delete of a repository holding a link", h.st.Delete(ctx, RepositoryPath("app")), ErrSymlink, deep)
		wantAnomaly(t, "Delete of an upload holding a link", h.st.Delete(ctx, UploadPath("app", hUpload)), ErrSymlink, deep)
		regtest.AssertUnchanged(t, h.root, before)
		if err := os.Remove(h.abs(deep)); err != nil {
			t.Fatal(err)
		}
		mkfifo(t, h, deep)
		if err := h.st.Delete(ctx, RepositoryPath("app")); err != nil {
			t.Errorf("Delete of a repository holding a pipe: %v", err)
		}
		regtest.AssertMissing(t, h.abs(RepositoryPath("app")))
		h.unchanged()
	}
}

// DeleteLeaf: a leaf directory that is a link is refused; a link file
// that is a link goes, never what it names; a leaf holding more than its
// file goes whole unless that holds a link, which is refused.
func TestDeleteLeafNeverFollows(t *testing.T) {
	t.Parallel()
	for _, fallback := range []bool{false, true} {
		h := newHostile(t, fallback)
		ctx := context.Background()
		del := func(l Leaf) error {
			return h.st.DeleteLeaves(ctx, 1, 1, func(int) Leaf { return l }, func(int) {})
		}
		h.moveOut(LayerLinkDirPath("app", hLayer))
		wantAnomaly(t, "a leaf that is a link", del(LayerLinkLeaf("app", hLayer)), ErrSymlink, LayerLinkDirPath("app", hLayer))
		target := h.moveOut(RevisionLinkPath("app", hRev))
		if err := del(RevisionLeaf("app", hRev)); err != nil {
			t.Errorf("a leaf whose link file is a link: %v", err)
		}
		regtest.AssertMissing(t, h.abs(RevisionPath("app", hRev)))
		regtest.AssertExists(t, target)
		extra := TagIndexEntryPath("app", "v1", hRev) + "/extra"
		if err := os.Symlink(h.canary, h.abs(extra)); err != nil {
			t.Fatal(err)
		}
		// The leaf's own file goes first (the fast path: no listing), then
		// what else the directory holds is refused.
		wantAnomaly(t, "a leaf holding a link", del(TagIndexLeaf("app", "v1", hRev)), ErrSymlink, extra)
		regtest.AssertExists(t, h.abs(extra))
		h.unchanged()
	}
}

// The root given may be reached through symbolic links (it and its
// ancestors are resolved once); below it nothing is.
func TestRootThroughSymlink(t *testing.T) {
	t.Parallel()
	h := newHostile(t, false)
	via := filepath.Join(t.TempDir(), "via")
	if err := os.Symlink(filepath.Dir(h.root), via); err != nil {
		t.Fatal(err)
	}
	st, err := Open(context.Background(), Location{Root: filepath.Join(via, "root"), How: "--root"})
	if err != nil {
		t.Fatal(err)
	}
	if d, err := st.ReadLink(context.Background(), TagCurrentLinkPath("app", "v1")); err != nil || d != hRev {
		t.Errorf("ReadLink through a root reached by a link: %v, %v", d, err)
	}
}
