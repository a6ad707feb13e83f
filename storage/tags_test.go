package storage

import (
	"context"
	"errors"
	"path"
	"strings"
	"testing"

	"github.com/regprune/regprune/internal/regtest"
)

// openSample opens a private copy of the committed sample registry.
func openSample(t *testing.T) (*Storage, string) {
	t.Helper()
	root, _ := regtest.LoadSample(t)
	st, err := Open(context.Background(), Location{Root: root, How: "--root"})
	if err != nil {
		t.Fatal(err)
	}
	return st, root
}

// TestDeleteTag: exactly the tag's directory goes, nothing else; a second
// delete succeeds.
func TestDeleteTag(t *testing.T) {
	t.Parallel()
	st, root := openSample(t)
	ctx := context.Background()
	before := regtest.Snapshot(t, root)
	if err := st.deleteTag(ctx, "i", "T12"); err != nil {
		t.Fatal(err)
	}
	if err := st.deleteTag(ctx, "i", "T12"); err != nil {
		t.Fatalf("deleting a deleted tag: %v", err)
	}
	tagDir := strings.TrimPrefix(regtest.TagDir(root, "i", "T12"), root+"/")
	for _, d := range before.Diff(regtest.Snapshot(t, root)) {
		// the tag's entries go; its parent's listing changes
		if !strings.HasPrefix(d, "- "+tagDir+"/") && !strings.HasPrefix(d, "- "+tagDir+" ") &&
			!strings.HasPrefix(d, "~ "+path.Dir(tagDir)+": ") {
			t.Errorf("DeleteTag changed more than %s: %s", tagDir, d)
		}
	}
	regtest.AssertMissing(t, regtest.TagDir(root, "i", "T12"))
	regtest.AssertExists(t, regtest.TagLink(root, "i", "T13"))
	tags, err := st.ListTags(ctx, "i")
	if err != nil || strings.Join(tags, " ") != "T11 T13 T21 T22 T51 T52" {
		t.Errorf("ListTags(i) after = %q, %v", tags, err)
	}
}

// TestDeleteTagRefusesBadNames: no name reaches outside a tag directory.
func TestDeleteTagRefusesBadNames(t *testing.T) {
	t.Parallel()
	st, root := openSample(t)
	before := regtest.Snapshot(t, root)
	bad := [][2]string{
		{"i", ".."}, {"i", "../../_layers"}, {"..", "T12"}, {"i/../team/app", "v1"}, {"/i", "T12"},
		{"i/_manifests", "x"}, {"", "T12"}, {"i", ""}, {"i", "a/b"}, {"I", "T12"}, {"i", ".T12"},
	}
	for _, b := range bad {
		if err := st.deleteTag(context.Background(), b[0], b[1]); !errors.Is(err, ErrBadName) {
			t.Errorf("deleteTag(%q, %q) = %v, want ErrBadName", b[0], b[1], err)
		}
		if _, err := st.ListTags(context.Background(), b[0]); b[0] != "i" && !errors.Is(err, ErrBadName) {
			t.Errorf("ListTags(%q) = %v, want ErrBadName", b[0], err)
		}
	}
	regtest.AssertUnchanged(t, root, before)
}

func TestRepositoriesNested(t *testing.T) {
	t.Parallel()
	st, _ := openSample(t)
	repos, err := st.Repositories(context.Background(), 2)
	if err != nil || strings.Join(repos, " ") != "a/b/c i team/app team/app/api" {
		t.Errorf("Repositories = %q, %v", repos, err)
	}
}

// FuzzNames: whatever ValidRepository and ValidTag accept stays inside its
// directory once joined into a layout path.
func FuzzNames(f *testing.F) {
	for _, s := range [][2]string{{"team/app", "v1"}, {"a/../b", ".."}, {"_x", "_y"}, {"a:5000/b", "v1.0-rc"}, {"/a", "a/b"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, repo, tag string) {
		if ValidRepository(repo) == nil {
			p := RepositoryPath(repo)
			for _, c := range strings.Split(repo, "/") {
				if c == "" || c == "." || c == ".." || strings.HasPrefix(c, "_") {
					t.Fatalf("ValidRepository(%q) accepted component %q", repo, c)
				}
			}
			if got, ok := RepositoryName(p); !ok || got != repo {
				t.Fatalf("RepositoryName(RepositoryPath(%q)) = %q, %v", repo, got, ok)
			}
		}
		if ValidTag(tag) == nil {
			if strings.ContainsAny(tag, "/:") || tag == "." || tag == ".." || len(tag) > 128 {
				t.Fatalf("ValidTag(%q) accepted it", tag)
			}
		}
	})
}
