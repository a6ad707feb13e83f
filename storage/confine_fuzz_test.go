//go:build linux

package storage

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regprune/regprune/internal/regtest"
)

// FuzzReadLink: a link file read from disk parses exactly when its content
// is a canonical digest, longer files are refused unread as bad links,
// and no error quotes a control byte of what it read.
func FuzzReadLink(f *testing.F) {
	f.Add([]byte("sha256:" + strings.Repeat("0", 64)))
	f.Add([]byte("sha256:" + strings.Repeat("0", 64) + "\n"))
	f.Add([]byte("\x1b[2Jroot:x:0:0:root:/root:/bin/bash\n"))
	f.Add([]byte{})
	root := f.TempDir()
	p := TagCurrentLinkPath("r", "t")
	regtest.WriteFile(f, filepath.Join(root, filepath.FromSlash(p)), nil)
	st, err := Open(context.Background(), Location{Root: root, How: "--root"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(filepath.Join(root, filepath.FromSlash(p)), b, 0o644); err != nil {
			t.Fatal(err)
		}
		d, err := st.ReadLink(context.Background(), p)
		want, werr := ParseDigest(string(b))
		if (err == nil) != (werr == nil) || d != want {
			t.Fatalf("ReadLink of %q = %v, %v; ParseDigest says %v, %v", b, d, err, want, werr)
		}
		if err == nil {
			return
		}
		if !errors.Is(err, ErrBadLink) || (len(b) > LinkSize) != errors.Is(err, ErrTooLarge) {
			t.Fatalf("ReadLink of %d bytes %q: %v", len(b), b, err)
		}
		if msg := err.Error(); strings.ContainsFunc(msg, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			t.Fatalf("error %q quotes a control byte", msg)
		}
	})
}

// FuzzParseDirents: any buffer parses without panicking into entries that
// are neither empty, ".", ".." nor hold "/" or NUL; a buffer made of
// well-formed records gives them back.
func FuzzParseDirents(f *testing.F) {
	f.Add(dirent(7, 4, "dir"), []byte(nil))
	f.Add(dirent(7, 8, "file"), dirent(9, 10, "link"))
	f.Add(dirent(1, 4, "."), dirent(2, 4, ".."))
	f.Add([]byte{1, 2, 3}, []byte{})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		buf := append(append([]byte(nil), a...), b...)
		es, _ := parseDirents(-1, buf, nil)
		for _, e := range es {
			if e.Name == "" || e.Name == "." || e.Name == ".." || strings.ContainsAny(e.Name, "/\x00") || e.Kind == KindUnknown {
				t.Fatalf("entry %+v from %q", e, buf)
			}
		}
	})
}

// dirent is one linux_dirent64 record, padded to 8 bytes as the kernel
// writes it.
func dirent(ino uint64, typ byte, name string) []byte {
	n := (direntNameOff + len(name) + 1 + 7) &^ 7
	b := make([]byte, n)
	binary.NativeEndian.PutUint64(b, ino)
	binary.NativeEndian.PutUint16(b[direntReclenOff:], uint16(n))
	b[direntTypeOff] = typ
	copy(b[direntNameOff:], name)
	return b
}

// An entry whose type the filesystem does not record (DT_UNKNOWN, as on
// some XFS and network filesystems) is looked up without following it.
func TestDirentUnknownType(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mustMkdir(t, filepath.Join(dir, "d"))
	regtest.WriteFile(t, filepath.Join(dir, "f"), nil)
	mustSymlink(t, "/", filepath.Join(dir, "l"))
	fd, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	var buf []byte
	for _, n := range []string{"d", "f", "l", "gone"} {
		buf = append(buf, dirent(5, 0, n)...) // DT_UNKNOWN
	}
	es, err := parseDirents(int(fd.Fd()), buf, nil)
	want := []Entry{{"d", KindDir}, {"f", KindFile}, {"l", KindSymlink}}
	if err != nil || len(es) != len(want) || es[0] != want[0] || es[1] != want[1] || es[2] != want[2] {
		t.Errorf("parseDirents = %v, %v; want %v", es, err, want)
	}
}
