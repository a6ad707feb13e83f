//go:build linux

package storage

import (
	"context"
	"errors"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/regprune/regprune/internal/regtest"
)

// A named pipe, a link to /dev/zero or to a file outside, or a device
// where a link or a directory should be: every call returns at once,
// none opens it for reading, and nothing outside changes.
func TestSpecialFilesNeverBlock(t *testing.T) {
	t.Parallel()
	for _, fallback := range []bool{false, true} {
		h := newHostile(t, fallback)
		ctx, st := context.Background(), h.st
		link := TagCurrentLinkPath("app", "v1")
		mkfifo(t, h, link)
		layers := LayerLinksPath("app")
		if err := os.RemoveAll(h.abs(layers)); err != nil {
			t.Fatal(err)
		}
		mkfifo(t, h, layers)
		done(t, "calls on named pipes", func() {
			_, err := st.ReadLink(ctx, link)
			wantAnomaly(t, "ReadLink of a pipe", err, ErrSpecialFile, link)
			_, err = st.ReadFile(ctx, link, 100)
			wantAnomaly(t, "ReadFile of a pipe", err, ErrSpecialFile, link)
			_, err = st.Stat(ctx, link)
			wantAnomaly(t, "Stat of a pipe", err, ErrSpecialFile, link)
			_, err = st.Driver.Reader(ctx, link, 0)
			wantAnomaly(t, "Reader of a pipe", err, ErrSpecialFile, link)
			_, err = st.Driver.Writer(ctx, link, true)
			wantAnomaly(t, "Writer of a pipe", err, ErrSpecialFile, link)
			_, err = st.ListDigests(ctx, layers)
			wantAnomaly(t, "ListDigests of a pipe", err, ErrSpecialFile, layers)
			_, err = st.ReadLink(ctx, LayerLinkPath("app", hLayer))
			wantAnomaly(t, "ReadLink beneath a pipe", err, ErrSpecialFile, layers)
			es, err := st.ListEntries(ctx, RepositoryPath("app")+"/_layers")
			if err != nil || !hasEntry(es, Algorithm, KindSpecial) {
				t.Errorf("ListEntries = %v, %v; want _layers/sha256 as a special file", es, err)
			}
		})
		// A pipe is an entry like any other to a delete: it goes, unopened.
		done(t, "deleting a tag holding a pipe", func() {
			if err := st.deleteTag(ctx, "app", "v1"); err != nil {
				t.Errorf("deleteTag: %v", err)
			}
		})
		regtest.AssertMissing(t, h.abs(TagPath("app", "v1")))

		zero := TagCurrentLinkPath("other", "v2")
		if err := os.Remove(h.abs(zero)); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/dev/zero", h.abs(zero)); err != nil {
			t.Fatal(err)
		}
		done(t, "reading a link to /dev/zero", func() {
			_, err := st.ReadLink(ctx, zero)
			wantAnomaly(t, "ReadLink of a link to /dev/zero", err, ErrSymlink, zero)
			_, err = st.ReadManifest(ctx, hBlob)
			if err != nil {
				t.Errorf("ReadManifest of a plain blob: %v", err)
			}
		})
		h.unchanged()
	}
}

func mkfifo(t *testing.T, h *hostile, p string) {
	t.Helper()
	_ = os.Remove(h.abs(p))
	if err := syscall.Mkfifo(h.abs(p), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A device node where a link should be is refused without being opened
// (opening some devices acts: a tape rewinds, a watchdog arms).
func TestDeviceNodeRefused(t *testing.T) {
	t.Parallel()
	h := newHostile(t, false)
	link := RevisionLinkPath("app", hRev)
	_ = os.Remove(h.abs(link))
	// The null device (1, 3): harmless if the test were wrong.
	if err := syscall.Mknod(h.abs(link), syscall.S_IFCHR|0o644, 1<<8|3); err != nil {
		t.Skipf("mknod: %v (needs CAP_MKNOD)", err)
	}
	_, err := h.st.ReadLink(context.Background(), link)
	wantAnomaly(t, "ReadLink of a device", err, ErrSpecialFile, link)
	err = h.st.DeleteLeaves(context.Background(), 1, 1, func(int) Leaf { return RevisionLeaf("app", hRev) }, func(int) {})
	if err != nil {
		t.Errorf("DeleteLeaves of a leaf holding a device node: %v", err)
	}
	regtest.AssertMissing(t, h.abs(RevisionPath("app", hRev)))
}

// Reads are bounded: a link longer than a digest is a bad link, a
// "manifest" beyond distribution's 4 MiB a bad manifest, neither read.
// Not parallel: it measures the process's allocations, which parallel
// tests would add to.
func TestReadsAreBounded(t *testing.T) {
	h := newHostile(t, false)
	ctx := context.Background()
	link := TagCurrentLinkPath("app", "v1")
	h.write(link, hRev.String()+"\n")
	if _, err := h.st.ReadLink(ctx, link); !errors.Is(err, ErrBadLink) || !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), link) {
		t.Errorf("ReadLink of 72 bytes: %v; want ErrBadLink and ErrTooLarge naming it", err)
	}
	h.write(link, hRev.String())
	if d, err := h.st.ReadLink(ctx, link); err != nil || d != hRev {
		t.Errorf("ReadLink of a good link = %v, %v", d, err)
	}
	// A 2 GiB blob named as a manifest (sparse: no disk used).
	if err := os.Truncate(h.abs(BlobDataPath(hBlob)), 2<<30); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := h.st.ReadManifest(ctx, hBlob)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrBadManifest) || !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), BlobDataPath(hBlob)) {
		t.Errorf("ReadManifest of 2 GiB: %v; want ErrBadManifest and ErrTooLarge naming the blob", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("ReadManifest of 2 GiB allocated %d bytes: it read the blob", n)
	}
	if err := os.Truncate(h.abs(BlobDataPath(hBlob)), MaxManifestSize); err != nil {
		t.Fatal(err)
	}
	if b, err := h.st.ReadManifest(ctx, hBlob); err != nil || len(b) != MaxManifestSize {
		t.Errorf("ReadManifest of exactly 4 MiB: %d bytes, %v", len(b), err)
	}
}

// A malformed link's error quotes what it read escaped and clipped: no
// terminal control byte, never more than a line of it.
func TestBadLinkErrorIsEscaped(t *testing.T) {
	t.Parallel()
	h := newHostile(t, false)
	link := TagCurrentLinkPath("app", "v1")
	h.write(link, "\x1b[2J\x1b]0;pwned\x07root:x:0:0:root:/root:/bin/bash\nsha256:")
	_, err := h.st.ReadLink(context.Background(), link)
	if !errors.Is(err, ErrBadLink) {
		t.Fatalf("ReadLink: %v, want ErrBadLink", err)
	}
	if msg := err.Error(); strings.ContainsAny(msg, "\x1b\x07\n") || len(msg) > 300 {
		t.Errorf("error %q holds control bytes or is too long", msg)
	}
}
