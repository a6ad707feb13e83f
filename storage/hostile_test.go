//go:build linux

package storage

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/regtest"
)

// hostile is a small registry tree in a t.TempDir(), next to a canary
// directory outside the root that no storage call may change.
type hostile struct {
	t      *testing.T
	root   string // the storage root
	canary string // outside the root
	st     *Storage
	canon  regtest.Tree // the canary before
}

// Digests of the tree's objects.
var (
	hRev   = digestOf("revision")
	hLayer = digestOf("layer")
	hBlob  = digestOf("blob")
)

const hUpload = "0b5c1a8e-3f4d-4e2a-9c1b-7d6e5f4a3b2c"

// hostilePaths are the driver paths of the tree's files.
func hostilePaths() []string {
	return []string{
		TagCurrentLinkPath("app", "v1"),
		TagIndexLinkPath("app", "v1", hRev),
		RevisionLinkPath("app", hRev),
		LayerLinkPath("app", hLayer),
		UploadStartedAtPath("app", hUpload),
		UploadPath("app", hUpload) + "/data",
		BlobDataPath(hBlob),
		RepositoryPath("other") + "/_manifests/tags/v2/current/link",
	}
}

// newHostile makes the tree and opens it, with openat2 or, when fallback
// is set, the walk one component at a time.
func newHostile(t *testing.T, fallback bool) *hostile {
	t.Helper()
	dir := t.TempDir()
	h := &hostile{t: t, root: filepath.Join(dir, "root"), canary: filepath.Join(dir, "canary")}
	for _, p := range hostilePaths() {
		h.write(p, hRev.String())
	}
	regtest.WriteFile(t, filepath.Join(h.canary, "secret"), []byte("root:x:0:0:root:/root:/bin/bash\n"))
	h.canon = regtest.Snapshot(t, h.canary)
	st, err := Open(context.Background(), Location{Root: h.root, How: "--root"})
	if err != nil {
		t.Fatal(err)
	}
	if st.local == nil || (!st.local.root.openat2 && !fallback) {
		t.Skip("openat2 is not available here")
	}
	if fallback {
		st.local.root.openat2 = false
	}
	h.st = st
	return h
}

// abs is the file name of driver path p.
func (h *hostile) abs(p string) string { return filepath.Join(h.root, filepath.FromSlash(p)) }

func (h *hostile) write(p, content string) {
	regtest.WriteFile(h.t, h.abs(p), []byte(content))
}

// moveOut moves the tree's entry p into the canary and leaves a symbolic
// link to it in its place: a tree that reaches outside through p.
func (h *hostile) moveOut(p string) string {
	h.t.Helper()
	dst := filepath.Join(h.canary, "moved", filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		h.t.Fatal(err)
	}
	if err := os.Rename(h.abs(p), dst); err != nil {
		h.t.Fatal(err)
	}
	if err := os.Symlink(dst, h.abs(p)); err != nil {
		h.t.Fatal(err)
	}
	h.canon = regtest.Snapshot(h.t, h.canary)
	return dst
}

// unchanged fails the test when the canary changed.
func (h *hostile) unchanged() {
	h.t.Helper()
	regtest.AssertUnchanged(h.t, h.canary, h.canon)
}

// wantAnomaly fails the test unless err is an *AnomalyError naming p and
// wrapping want.
func wantAnomaly(t *testing.T, what string, err, want error, p string) {
	t.Helper()
	var ae *AnomalyError
	if !errors.Is(err, want) || !errors.Is(err, ErrAnomaly) || !errors.As(err, &ae) || ae.Path != p {
		t.Errorf("%s: %v; want %v naming %s", what, err, want, p)
	}
}

// under reports whether driver path p is link or lies beneath it.
func under(p, link string) bool { return p == link || strings.HasPrefix(p, link+"/") }

// Every call through a symbolic link anywhere below the root (a
// repository, its _layers, _manifests, a tag, a leaf, the blob store's
// prefix and blob directories, _uploads, a link file) fails naming the
// link, and nothing outside the root changes: not even what a tree
// holding a link would have deleted.
func TestSymlinksAreNeverFollowed(t *testing.T) {
	t.Parallel()
	links := []string{
		RepositoryPath("app"),
		RepositoryPath("app") + "/_layers",
		LayerLinksPath("app"),
		LayerLinkDirPath("app", hLayer),
		ManifestsPath("app"),
		ManifestsPath("app") + "/revisions",
		TagPath("app", "v1"),
		TagPath("app", "v1") + "/current",
		UploadsPath("app"),
		UploadPath("app", hUpload),
		BlobPrefixPath(hBlob.Hex()[:2]),
		BlobPath(hBlob),
		RepositoriesPath(),
		V2Path + "/blobs",
		TagCurrentLinkPath("app", "v1"),
		LayerLinkPath("app", hLayer),
		BlobDataPath(hBlob),
	}
	for _, fallback := range []bool{false, true} {
		for _, link := range links {
			name := strings.TrimPrefix(link, V2Path+"/")
			if fallback {
				name += "/fallback"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				h := newHostile(t, fallback)
				h.moveOut(link)
				before := regtest.Snapshot(t, h.root)
				h.throughLink(link)
				regtest.AssertUnchanged(t, h.root, before)
				h.unchanged()
			})
		}
	}
}

// throughLink makes every kind of call on every path at or beneath link
// and on the directories above it that hold it.
func (h *hostile) throughLink(link string) {
	t, st, ctx := h.t, h.st, context.Background()
	for _, p := range hostilePaths() {
		for q := p; q != V2Path; q = q[:strings.LastIndexByte(q, '/')] {
			if under(q, link) {
				h.callsThrough(ctx, q, link)
			}
		}
	}
	// What holds the link lists it as one, and refuses to delete it.
	parent := link[:strings.LastIndexByte(link, '/')]
	es, err := st.ListEntries(ctx, parent)
	if err != nil || !hasEntry(es, link[len(parent)+1:], KindSymlink) {
		t.Errorf("ListEntries(%s) = %v, %v; want the link listed as one", parent, es, err)
	}
	if parent != V2Path {
		wantAnomaly(t, "Delete of "+parent, st.Delete(ctx, parent), ErrSymlink, link)
	}
}

// callsThrough makes each call on q, which is link or lies beneath it.
func (h *hostile) callsThrough(ctx context.Context, q, link string) {
	t, st := h.t, h.st
	_, err := st.ReadFile(ctx, q, 1<<20)
	wantAnomaly(t, "ReadFile "+q, err, ErrSymlink, link)
	_, err = st.ReadLink(ctx, q)
	wantAnomaly(t, "ReadLink "+q, err, ErrSymlink, link)
	_, err = st.Stat(ctx, q)
	wantAnomaly(t, "Stat "+q, err, ErrSymlink, link)
	_, err = st.ListEntries(ctx, q)
	wantAnomaly(t, "ListEntries "+q, err, ErrSymlink, link)
	_, err = st.ListNames(ctx, q)
	wantAnomaly(t, "ListNames "+q, err, ErrSymlink, link)
	wantAnomaly(t, "Delete "+q, st.Delete(ctx, q), ErrSymlink, link)
	for _, n := range []int{1, 2} { // one leaf: the driver's calls; more: in bulk
		err = st.DeleteLeaves(ctx, n, 2, func(int) Leaf { return Leaf{Dir: q, File: LinkFile} }, func(int) {})
		wantAnomaly(t, "DeleteLeaves "+q, err, ErrSymlink, link)
		_, err = st.StatLeaves(ctx, n, 2, func(int) Leaf { return Leaf{Dir: q, File: LinkFile} })
		wantAnomaly(t, "StatLeaves "+q, err, ErrSymlink, link)
	}
	_, err = st.Driver.Reader(ctx, q, 0)
	wantAnomaly(t, "Reader "+q, err, ErrSymlink, link)
	if q != link { // a link itself may be replaced: that changes nothing outside
		wantAnomaly(t, "PutContent "+q, st.Driver.PutContent(ctx, q, []byte("x")), ErrSymlink, link)
		_, err = st.Driver.Writer(ctx, q, false)
		wantAnomaly(t, "Writer "+q, err, ErrSymlink, link)
	}
	wantAnomaly(t, "PutContent beneath "+q, st.Driver.PutContent(ctx, q+"/new/link", []byte("x")), ErrSymlink, link)
	wantAnomaly(t, "Move from "+q, st.Driver.Move(ctx, q, RepositoryPath("moved")), ErrSymlink, link)
	wantAnomaly(t, "Move to "+q, st.Driver.Move(ctx, RepositoryPath("other"), q+"/x"), ErrSymlink, link)
	if _, err := os.Lstat(h.abs(RepositoryPath("moved"))); !os.IsNotExist(err) {
		t.Errorf("Move from %s made %s: %v", q, RepositoryPath("moved"), err)
	}
}

func hasEntry(es []Entry, name string, k Kind) bool {
	for _, e := range es {
		if e.Name == name && e.Kind == k {
			return true
		}
	}
	return false
}

// done fails t when f does not return within a few seconds: a call that
// blocks on a named pipe or reads a device forever.
func done(t *testing.T, what string, f func()) {
	t.Helper()
	ch := make(chan struct{})
	go func() { defer close(ch); f() }()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not return within 10s", what)
	}
}

func mustSymlink(t *testing.T, target, p string) {
	t.Helper()
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}

func mustMkdir(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
}
