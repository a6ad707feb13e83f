package storage

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/docker/distribution/registry/storage/driver"
	"github.com/regprune/regprune/internal/minio"
)

// hideLinks hides the filesystem driver's own listLinks: ListLinks then
// takes the path of any other driver (ListEntries, a Stat per link).
type hideLinks struct{ driver.StorageDriver }

// linksTree writes, in repository app's revisions, one leaf of each kind
// ListLinks tells apart, and returns the storage root with the expected
// digests.
func linksTree(t *testing.T) (root string, linked, debris, malformed []Digest) {
	t.Helper()
	root = t.TempDir()
	dir := filepath.Join(root, RevisionsPath("app")[1:])
	mk := func(name string) string {
		d := digestOf(name)
		p := filepath.Join(dir, d.Hex())
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write := func(p, content string) {
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"l1", "l2"} {
		write(filepath.Join(mk(n), LinkFile), digestOf(n).String())
		linked = append(linked, digestOf(n))
	}
	// What the registry's delete by digest leaves: the directory.
	mk("deleted")
	// A leaf holding something, but not its link.
	write(filepath.Join(mk("other"), "data"), "x")
	debris = []Digest{digestOf("deleted"), digestOf("other")}

	write(filepath.Join(mk("newline"), LinkFile), digestOf("newline").String()+"\n")
	if err := os.MkdirAll(filepath.Join(mk("dirlink"), LinkFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(mk("symlink"), LinkFile)); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(mk("fifo"), LinkFile), 0o644); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(dir, digestOf("file").Hex()), digestOf("file").String())
	if err := os.Symlink(t.TempDir(), filepath.Join(dir, digestOf("leafsymlink").Hex())); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"newline", "dirlink", "symlink", "fifo", "file", "leafsymlink"} {
		malformed = append(malformed, digestOf(n))
	}
	for _, s := range [][]Digest{linked, debris, malformed} {
		slices.SortFunc(s, Digest.Compare)
	}
	return root, linked, debris, malformed
}

func badDigests(bs []BadLink) []Digest {
	out := make([]Digest, len(bs))
	for i, b := range bs {
		out[i] = b.Digest
	}
	return out
}

func wantLinks(t *testing.T, how string, got Links, linked, debris, malformed []Digest) {
	t.Helper()
	if !slices.Equal(got.Linked, linked) || !slices.Equal(got.Debris, debris) || !slices.Equal(badDigests(got.Malformed), malformed) {
		t.Errorf("%s: linked %v debris %v malformed %v; want %v %v %v", how, got.Linked, got.Debris, badDigests(got.Malformed),
			linked, debris, malformed)
	}
	for _, b := range got.Malformed {
		if !errors.Is(b.Err, ErrBadLink) && !errors.Is(b.Err, ErrAnomaly) {
			t.Errorf("%s: %s: %v wraps neither ErrBadLink nor ErrAnomaly", how, b.Digest, b.Err)
		}
	}
}

// TestListLinks: a leaf counts as linked only with its link file; one
// without is debris; a link that is no link (size, kind) or a leaf that is
// no directory is malformed, and none is followed. The filesystem
// driver's own listing and the listing of any other driver agree.
func TestListLinks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root, linked, debris, malformed := linksTree(t)
	st, err := Open(ctx, Location{Root: root, How: "--root"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Driver.(linkLister); !ok {
		t.Fatal("the filesystem driver has no listLinks of its own")
	}
	got, err := st.ListLinks(ctx, RevisionsPath("app"))
	if err != nil {
		t.Fatal(err)
	}
	wantLinks(t, "filesystem", got, linked, debris, malformed)
	generic := *st
	generic.Driver = hideLinks{st.Driver}
	got, err = generic.ListLinks(ctx, RevisionsPath("app"))
	if err != nil {
		t.Fatal(err)
	}
	wantLinks(t, "any driver", got, linked, debris, malformed)
	if all := got.All(); len(all) != len(linked)+len(debris)+len(malformed) {
		t.Errorf("All: %d digests", len(all))
	}

	for _, s := range []*Storage{st, &generic} {
		if got, err := s.ListLinks(ctx, LayerLinksPath("app")); err != nil || len(got.All()) != 0 {
			t.Errorf("missing directory: %+v, %v", got, err)
		}
	}
	bad := filepath.Join(root, RevisionsPath("app")[1:], "not-a-digest")
	if err := os.Mkdir(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Storage{st, &generic} {
		if _, err := s.ListLinks(ctx, RevisionsPath("app")); !errors.Is(err, ErrBadDigest) {
			t.Errorf("a name that is no digest: %v", err)
		}
	}
}

// testS3Links: on object storage the one listing of the leaf level tells
// linked, debris (keys beside a missing link) and malformed apart, for a
// directory and for the histories of a repository's tags.
func testS3Links(t *testing.T, srv *minio.Server) {
	ctx := context.Background()
	raw, st := openS3Root(t, srv)
	l1, l2, other, sized, deep := digestOf("l1"), digestOf("l2"), digestOf("other"), digestOf("sized"), digestOf("deep")
	for _, dir := range []func(Digest) string{
		func(d Digest) string { return RevisionPath("app", d) },
		func(d Digest) string { return TagIndexEntryPath("app", "v1", d) },
		func(d Digest) string { return TagIndexEntryPath("app", "v2", d) },
	} {
		put(t, raw, dir(l1)+"/"+LinkFile, l1.String())
		put(t, raw, dir(l2)+"/"+LinkFile, l2.String())
		put(t, raw, dir(other)+"/data", "no link beside it")
		put(t, raw, dir(sized)+"/"+LinkFile, sized.String()+"\n")
		put(t, raw, dir(deep)+"/"+LinkFile+"/x", "a link that is a directory")
	}
	linked, debris, malformed := []Digest{l1, l2}, []Digest{other}, []Digest{sized, deep}
	for _, s := range [][]Digest{linked, malformed} {
		slices.SortFunc(s, Digest.Compare)
	}
	got, err := st.ListLinks(ctx, RevisionsPath("app"))
	if err != nil {
		t.Fatal(err)
	}
	wantLinks(t, "revisions", got, linked, debris, malformed)
	hist, errs, err := st.TagHistoryLinks(ctx, "app", []string{"v1", "v2", "none"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i, tag := range []string{"v1", "v2"} {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		wantLinks(t, "history of "+tag, hist[i], linked, debris, malformed)
	}
	if len(hist[2].All()) != 0 || errs[2] != nil {
		t.Errorf("a tag without history: %+v %v", hist[2], errs[2])
	}
}
