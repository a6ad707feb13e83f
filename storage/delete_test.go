//go:build linux

package storage

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
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
			err := h.st.DeleteLeaves(ctx, 1, 1, func(int) Leaf { return l }, func(int) {})
			if err == nil { // in bulk too: gone already
				err = h.st.DeleteLeaves(ctx, 2, 2, func(int) Leaf { return l }, func(int) {})
			}
			return err
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

// In bulk, StatLeaves and DeleteLeaves answer as the one-leaf driver calls
// do, and delete exactly the leaves asked for, with what is beneath them.
func TestLocalLeavesInBulk(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r1, r2, r3, r4, gone := digestOf("r1"), digestOf("r2"), digestOf("r3"), digestOf("r4"), digestOf("gone")
	mk := func() *hostile {
		h := newHostile(t, false)
		h.write(RevisionLinkPath("app", r1), r1.String())
		h.write(RevisionLinkPath("app", r2), r2.String())
		h.write(RevisionPath("app", r2)+"/extra", "junk beside the link")
		h.write(RevisionPath("app", r3)+"/sub/x", "a leaf without its link")
		h.write(RevisionLinkPath("app", r4), r4.String()) // a neighbour not asked for
		h.write(RevisionPath("app", gone)+"/link/inside", "a directory named like the file")
		return h
	}
	leaves := []Leaf{RevisionLeaf("app", r1), RevisionLeaf("app", r2), RevisionLeaf("app", r3), RevisionLeaf("app", gone),
		RevisionLeaf("app", digestOf("missing")), BlobLeaf(hBlob), LayerLinkLeaf("app", hLayer), TagIndexLeaf("app", "v1", hRev)}
	leaf := func(i int) Leaf { return leaves[i] }
	bulk, one := mk(), mk()
	got, err := bulk.st.StatLeaves(ctx, len(leaves), 3, leaf)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range leaves {
		want, err := bulk.st.StatLeaves(ctx, 1, 1, func(int) Leaf { return l })
		if err != nil {
			t.Fatal(err)
		}
		if got[i].Exists != want[0].Exists || got[i].Size != want[0].Size || !got[i].ModTime.Equal(want[0].ModTime) {
			t.Errorf("%s: bulk %+v, one by one %+v", l.Dir, got[i], want[0])
		}
	}
	var n atomic.Int32
	if err := bulk.st.DeleteLeaves(ctx, len(leaves), 3, leaf, func(int) { n.Add(1) }); err != nil || int(n.Load()) != len(leaves) {
		t.Fatalf("DeleteLeaves in bulk: %v, %d done", err, n.Load())
	}
	for _, l := range leaves {
		if err := one.st.DeleteLeaves(ctx, 1, 1, func(int) Leaf { return l }, func(int) {}); err != nil {
			t.Fatal(err)
		}
	}
	a, b := regtest.Snapshot(t, bulk.root), regtest.Snapshot(t, one.root)
	if d := a.Diff(b); len(d) > 0 {
		t.Errorf("bulk and one-by-one deletes differ:\n%v", d)
	}
	regtest.AssertExists(t, bulk.abs(RevisionLinkPath("app", r4)))
}
