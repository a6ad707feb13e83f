package gc_test

import (
	"context"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/regprune/regprune/gc"
	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/storage"
)

func openStorage(t testing.TB, root string) *storage.Storage {
	t.Helper()
	st, err := storage.Open(context.Background(), storage.Location{Root: root, How: "test"})
	if err != nil {
		t.Fatalf("open %s: %v", root, err)
	}
	return st
}

// untagged is what most tests run: --delete-untagged --grace 0.
func untagged() gc.Options { return gc.Options{DeleteUntagged: true, Jobs: 4} }

// collect plans, checks that planning changed nothing, executes, checks
// that the run did exactly what the plan said, and that a second plan
// finds nothing to do. It returns the plan.
func collect(t *testing.T, root string, opts gc.Options) *gc.Plan {
	t.Helper()
	st := openStorage(t, root)
	before := regtest.Snapshot(t, root)
	p, err := gc.NewPlan(context.Background(), st, opts)
	if err != nil {
		t.Fatalf("NewPlan: %v", err)
	}
	regtest.AssertUnchanged(t, root, before)
	want := p.Summary(false)
	got, err := p.Execute(context.Background(), st, journaled(t, st, opts), nil)
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if !sameSummary(got, want) {
		t.Errorf("Execute summary %+v\nplan predicted     %+v", got, want)
	}
	again, err := gc.NewPlan(context.Background(), st, opts)
	if err != nil {
		t.Fatalf("second NewPlan: %v", err)
	}
	if c := again.Counts(); c != (gc.Counts{}) {
		t.Errorf("second gc would still remove %+v: %+v", c, again)
	}
	return p
}

func sameSummary(a, b gc.Summary) bool {
	return a.DryRun == b.DryRun && a.FreedBytes == b.FreedBytes && a.Removed == b.Removed &&
		a.KeptRecent == b.KeptRecent && len(a.Warnings) == len(b.Warnings)
}

func dg(t testing.TB, h v1.Hash) storage.Digest {
	t.Helper()
	d, err := storage.ParseDigest(h.String())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// untag removes a tag's directory, as `tag rm` does.
func untag(t testing.TB, root, repo, tag string) {
	t.Helper()
	if err := os.RemoveAll(regtest.TagDir(root, repo, tag)); err != nil {
		t.Fatal(err)
	}
}

func blobFiles(root string, hs ...v1.Hash) []string {
	var out []string
	for _, h := range hs {
		out = append(out, regtest.BlobFile(root, h))
	}
	return out
}

func revisions(root, repo string, hs ...v1.Hash) []string {
	var out []string
	for _, h := range hs {
		out = append(out, regtest.RevisionLink(root, repo, h))
	}
	return out
}

func layerLinks(root, repo string, hs ...v1.Hash) []string {
	var out []string
	for _, h := range hs {
		out = append(out, regtest.LayerLink(root, repo, h))
	}
	return out
}

// age sets the modification time of every file and directory under root
// to an hour and a half ago, past the default grace.
func age(t testing.TB, root string) {
	t.Helper()
	old := time.Now().Add(-90 * time.Minute)
	walkAll(t, root, func(p string) { regtest.SetModTime(t, p, old) })
}

func walkAll(t testing.TB, root string, f func(string)) {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		paths = append(paths, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		f(p)
	}
}

func gcOpts(deleteUntagged bool) gc.Options {
	o := untagged()
	o.DeleteUntagged = deleteUntagged
	return o
}

// journaled gives opts a journal of the run, as the commands do.
func journaled(t testing.TB, st *storage.Storage, opts gc.Options) gc.Options {
	t.Helper()
	j, err := st.NewJournal("gc test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	opts.Journal = j
	return opts
}

// values collects the removals a plan lists (Plan.Manifests, LayerLinks,
// Blobs).
func values[T any](seq iter.Seq2[int, T]) []T {
	var out []T
	for _, v := range seq {
		out = append(out, v)
	}
	return out
}
