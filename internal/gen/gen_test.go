package gen_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/gen"
	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/storage"
	"golang.org/x/sync/errgroup"
)

func generate(t *testing.T, c gen.Config) *gen.Result {
	t.Helper()
	res, err := gen.Generate(t.TempDir(), c)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestGeneratedTreeServes serves a generated tree with the real registry:
// every tag pulls whole (every blob validated, diff_ids included), every
// manifest revision pulls whole by digest, deleted tags are gone, and the
// catalog lists exactly the generated repositories.
func TestGeneratedTreeServes(t *testing.T) {
	t.Parallel()
	c := gen.Defaults()
	c.Repositories, c.TagsPerRepository, c.IndexShare, c.HistoryShare, c.UntaggedShare = 5, 3, 0.4, 0.4, 0.3
	res := generate(t, c)
	if res.Indexes == 0 || res.TagCount() == 0 || len(res.RemovedTags) == 0 || res.Revisions <= res.TagCount() {
		t.Fatalf("tree lacks a feature: %+v", res)
	}
	r := regtest.Start(t, res.Root)
	r.AssertAllTagsWhole(t)
	got := r.Tags(t)
	for repo, tags := range got {
		if len(tags) == 0 {
			delete(got, repo)
		}
	}
	if !reflect.DeepEqual(got, res.Tags) {
		t.Errorf("registry lists tags %v, generator wrote %v", got, res.Tags)
	}
	for repo, tags := range res.RemovedTags {
		for _, tag := range tags {
			r.AssertGone(t, repo+":"+tag)
		}
	}
	var refs []string
	for _, repo := range res.Repositories {
		for _, d := range listRevisions(t, res.Root, repo) {
			refs = append(refs, repo+"@"+d)
		}
	}
	var g errgroup.Group
	g.SetLimit(4)
	for _, ref := range refs {
		g.Go(func() error {
			if err := r.Whole(t.Context(), r.Ref(t, ref)); err != nil {
				t.Errorf("%s does not pull whole: %v", ref, err)
			}
			return nil
		})
	}
	_ = g.Wait()
	if revs := len(refs); revs != res.Revisions {
		t.Errorf("%d revision links on disk, generator says %d", revs, res.Revisions)
	}
}

// TestLayoutMatchesStorage reads the generated tree through the storage
// package: the nested repository names and the counts agree.
func TestLayoutMatchesStorage(t *testing.T) {
	t.Parallel()
	c := gen.Defaults()
	c.NestedShare = 0.6
	res := generate(t, c)
	loc, err := storage.Locate(res.Root, "", func(string) string { return "" }, func(string) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	st, err := storage.Open(t.Context(), loc)
	if err != nil {
		t.Fatal(err)
	}
	repos, err := st.Repositories(t.Context(), 4)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(repos, res.Repositories) {
		t.Errorf("storage finds %v, generator wrote %v", repos, res.Repositories)
	}
	if !hasNestedInRepository(res.Repositories) {
		t.Errorf("no repository nested inside another: %v", res.Repositories)
	}
	files, blobs := countFiles(t, res.Root)
	if files != res.Files || blobs != res.Blobs {
		t.Errorf("disk holds %d files, %d blobs; generator says %d, %d", files, blobs, res.Files, res.Blobs)
	}
	if res.LiveBlobs >= res.Blobs || res.LiveRevisions >= res.Revisions || res.LiveLayerLinks >= res.LayerLinks {
		t.Errorf("nothing to collect in a tree with untagged manifests and orphans: %+v", res)
	}
}

// TestDeterministic: the same config writes the same bytes, whatever the
// parallelism; another seed writes another tree.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	c := gen.Defaults()
	c.Repositories, c.TagsPerRepository, c.Jobs = 5, 3, 1
	a := generate(t, c)
	c.Jobs = 8
	b := generate(t, c)
	if diff := regtest.Snapshot(t, a.Root).Diff(regtest.Snapshot(t, b.Root)); len(diff) > 0 {
		t.Errorf("same seed, different trees: %v", diff[:min(5, len(diff))])
	}
	c.Seed = 2
	other := generate(t, c)
	if diff := regtest.Snapshot(t, a.Root).Diff(regtest.Snapshot(t, other.Root)); len(diff) == 0 {
		t.Error("seeds 1 and 2 wrote the same tree")
	}
}

// TestModTimes: everything is dated in the past, directories included,
// except the pushes drawn recent.
func TestModTimes(t *testing.T) {
	t.Parallel()
	now := time.Now()
	c := gen.Defaults()
	c.Now, c.Age = now, 48*time.Hour
	c.Repositories, c.TagsPerRepository = 5, 3
	old := generate(t, c)
	forEach(t, old.Root, func(p string, fi fs.FileInfo) {
		if fi.ModTime().After(now.Add(-c.Age)) {
			t.Errorf("%s: modified %v, want before %v", p, fi.ModTime(), now.Add(-c.Age))
		}
	})
	c.RecentShare = 1
	fresh := generate(t, c)
	recent := 0
	forEach(t, fresh.Root, func(p string, fi fs.FileInfo) {
		if strings.HasSuffix(p, "current/link") && fi.ModTime().After(now.Add(-time.Hour)) {
			recent++
		}
	})
	if recent != fresh.TagCount() {
		t.Errorf("%d recent current links, want %d", recent, fresh.TagCount())
	}
}

func listRevisions(t *testing.T, root, repo string) []string {
	t.Helper()
	dir := filepath.Join(regtest.RepoDir(root, repo), "_manifests", "revisions", "sha256")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ds []string
	for _, e := range entries {
		ds = append(ds, "sha256:"+e.Name())
	}
	return ds
}

func hasNestedInRepository(repos []string) bool {
	set := map[string]bool{}
	for _, r := range repos {
		set[r] = true
	}
	for _, r := range repos {
		if i := strings.LastIndexByte(r, '/'); i > 0 && set[r[:i]] {
			return true
		}
	}
	return false
}

func countFiles(t *testing.T, root string) (files, blobs int) {
	forEach(t, root, func(p string, fi fs.FileInfo) {
		if fi.Mode().IsRegular() {
			files++
			if strings.Contains(p, "/blobs/") {
				blobs++
			}
		}
	})
	return files, blobs
}

func forEach(t *testing.T, root string, fn func(string, fs.FileInfo)) {
	t.Helper()
	err := filepath.WalkDir(regtest.V2Dir(root), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		fn(filepath.ToSlash(p), fi)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
