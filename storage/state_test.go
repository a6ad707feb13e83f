//go:build linux

package storage

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/regprune/regprune/internal/regtest"
)

// regprune's state files: written atomically under .regprune (created on
// first use), read with a bound, listed without unfinished writes,
// deleted; bad names refused.
func TestState(t *testing.T) {
	t.Parallel()
	h := newHostile(t, false)
	ctx, st := context.Background(), h.st
	if err := st.WriteState(ctx, "journal/0001.json", []byte(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := st.WriteState(ctx, "pulls", []byte("p")); err != nil {
		t.Fatal(err)
	}
	if b, err := st.ReadState(ctx, "journal/0001.json", 100); err != nil || string(b) != `{"n":1}` {
		t.Errorf("ReadState = %q, %v", b, err)
	}
	if _, err := st.ReadState(ctx, "journal/0001.json", 3); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadState beyond its bound: %v, want ErrTooLarge", err)
	}
	if _, err := st.ReadState(ctx, "missing", 3); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadState of a missing file: %v, want ErrNotFound", err)
	}
	regtest.WriteFile(t, h.abs(StateFilePath("journal/.0002.json.tmp-dead")), []byte("unfinished"))
	es, err := st.ListState(ctx, "journal")
	if err != nil || len(es) != 1 || es[0] != (Entry{Name: "0001.json", Kind: KindFile}) {
		t.Errorf("ListState(journal) = %v, %v", es, err)
	}
	es, err = st.ListState(ctx, "")
	if err != nil || len(es) != 2 || es[0] != (Entry{Name: "journal", Kind: KindDir}) || es[1].Name != "pulls" {
		t.Errorf("ListState() = %v, %v", es, err)
	}
	if err := st.DeleteState(ctx, "journal"); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteState(ctx, "journal"); err != nil {
		t.Errorf("DeleteState of a deleted entry: %v", err)
	}
	regtest.AssertMissing(t, h.abs(StateFilePath("journal")))
	if fi, err := os.Stat(h.abs(StateFilePath("pulls"))); err != nil || fi.Mode().Perm()&0o044 != 0o044 {
		t.Errorf("state file mode %v, %v: want it readable by all", fi.Mode(), err)
	}
	for _, bad := range []string{"", "/x", "x/", "a//b", "..", "a/../b", ".hidden", "a/.tmp", "é", "a b"} {
		if err := st.WriteState(ctx, bad, nil); !errors.Is(err, ErrBadName) {
			t.Errorf("WriteState(%q): %v, want ErrBadName", bad, err)
		}
		if _, err := st.ReadState(ctx, bad, 1); !errors.Is(err, ErrBadName) {
			t.Errorf("ReadState(%q): %v, want ErrBadName", bad, err)
		}
	}
	h.unchanged()
}

// The state directory, or one below it, being a symbolic link (or a
// file) is refused: nothing is written through it.
func TestStateRefusesLinks(t *testing.T) {
	t.Parallel()
	h := newHostile(t, false)
	ctx := context.Background()
	if err := os.Symlink(h.canary, h.abs(StatePath())); err != nil {
		t.Fatal(err)
	}
	wantAnomaly(t, "WriteState through a linked .regprune", h.st.WriteState(ctx, "x", []byte("x")), ErrSymlink, StatePath())
	_, err := h.st.ReadState(ctx, "secret", 100)
	wantAnomaly(t, "ReadState through a linked .regprune", err, ErrSymlink, StatePath())
	_, err = h.st.ListState(ctx, "")
	wantAnomaly(t, "ListState of a linked .regprune", err, ErrSymlink, StatePath())
	if err := os.Remove(h.abs(StatePath())); err != nil {
		t.Fatal(err)
	}
	mustMkdir(t, h.abs(StatePath()))
	if err := os.Symlink(h.canary, h.abs(StateFilePath("journal"))); err != nil {
		t.Fatal(err)
	}
	wantAnomaly(t, "WriteState through a linked subdirectory", h.st.WriteState(ctx, "journal/1", nil), ErrSymlink, StateFilePath("journal"))
	wantAnomaly(t, "DeleteState of a link", h.st.DeleteState(ctx, "journal"), ErrSymlink, StateFilePath("journal"))
	// A link as the file itself is replaced, not written through.
	if err := os.Symlink(filepath.Join(h.canary, "secret"), h.abs(StateFilePath("pulls"))); err != nil {
		t.Fatal(err)
	}
	if err := h.st.WriteState(ctx, "pulls", []byte("new")); err != nil {
		t.Errorf("WriteState over a link: %v", err)
	}
	if b, err := os.ReadFile(h.abs(StateFilePath("pulls"))); err != nil || string(b) != "new" {
		t.Errorf("state file after a write over a link: %q, %v", b, err)
	}
	h.unchanged()
}

// A reader never sees part of a write: every read is one whole version.
func TestWriteStateIsAtomic(t *testing.T) {
	t.Parallel()
	h := newHostile(t, false)
	ctx := context.Background()
	a, b := bytes.Repeat([]byte("a"), 1<<20), bytes.Repeat([]byte("b"), 1<<20)
	if err := h.st.WriteState(ctx, "big", a); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 20 {
			if err := h.st.WriteState(ctx, "big", [][]byte{a, b}[i%2]); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 200 {
		got, err := h.st.ReadState(ctx, "big", 2<<20)
		if err != nil || (!bytes.Equal(got, a) && !bytes.Equal(got, b)) {
			t.Fatalf("read %d bytes (%v): not one whole version", len(got), err)
		}
	}
	wg.Wait()
}

// FuzzValidStateName: an accepted state name makes a driver path below
// the state directory, with no component starting with a dot.
func FuzzValidStateName(f *testing.F) {
	for _, s := range []string{"journal/0001.json", "pulls", "", "..", "a/../b", ".tmp", "a//b", "a/", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidStateName(s) != nil {
			return
		}
		p := StateFilePath(s)
		if !safeDriverPath(p) || !strings.HasPrefix(p, StatePath()+"/") || strings.Contains(p, "/.") && !strings.HasPrefix(p, V2Path+"/.regprune/") {
			t.Fatalf("state name %q accepted: path %q", s, p)
		}
		for _, c := range strings.Split(s, "/") {
			if strings.HasPrefix(c, ".") {
				t.Fatalf("state name %q accepted with component %q", s, c)
			}
		}
	})
}
