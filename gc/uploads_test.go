package gc_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/gc"
	"github.com/regprune/regprune/internal/regtest"
)

// canary is a directory outside the root shaped like a repository's
// _uploads: old sessions named like the registry's, with startedat files,
// and a home directory. gc must leave it as it is.
func canary(t *testing.T) (string, regtest.Tree) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "canary")
	old := time.Now().Add(-30 * 24 * time.Hour).UTC().Format(time.RFC3339)
	for _, f := range []string{"0b5c1a8e-3f4d-4e2a-9c1b-7d6e5f4a3b2c/startedat", "0190f7a2-5b1c-7d3e-8f4a-1b2c3d4e5f60/startedat"} {
		regtest.WriteFile(t, filepath.Join(dir, f), []byte(old))
	}
	regtest.WriteFile(t, filepath.Join(dir, "home", ".ssh", "id_rsa"), []byte("key"))
	for _, d := range []string{"", "home", "home/.ssh", "0b5c1a8e-3f4d-4e2a-9c1b-7d6e5f4a3b2c", "0190f7a2-5b1c-7d3e-8f4a-1b2c3d4e5f60"} {
		regtest.SetModTime(t, filepath.Join(dir, d), time.Now().Add(-30*24*time.Hour))
	}
	return dir, regtest.Snapshot(t, dir)
}

// A repository's _uploads that is a symbolic link to a directory outside
// the root: a plain gc removed every subdirectory there older than 7
// days. Now none of it is a session: it is left alone, with a warning.
func TestUploadsThroughSymlink(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	r.PushImage(t, "app:v1")
	out, before := canary(t)
	uploads := filepath.Join(regtest.RepoDir(root, "app"), "_uploads")
	_ = os.RemoveAll(uploads)
	if err := os.Symlink(out, uploads); err != nil {
		t.Fatal(err)
	}
	opts := untagged()
	opts.UploadsOlderThan = -1
	p := collect(t, root, opts)
	if len(p.Uploads) != 0 || !strings.Contains(strings.Join(p.Warnings, "\n"), "symbolic link") {
		t.Errorf("uploads %v, warnings %q", p.Uploads, p.Warnings)
	}
	regtest.AssertUnchanged(t, out, before)
	r.AssertAllTagsWhole(t)
}

// Only directories named like the registry's upload ids, with a startedat
// file, are sessions: a session goes; a directory of another name, a file,
// a session without startedat stay; a session holding a symbolic link is
// left whole, with a warning, and what the link names is untouched.
func TestUploadsOnlySessions(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	r.PushImage(t, "app:v1")
	session := r.StartUpload(t, "app", []byte("part of a layer"))
	linked := r.StartUpload(t, "app", []byte("another part"))
	out, before := canary(t)
	dir := filepath.Join(regtest.RepoDir(root, "app"), "_uploads")
	started := time.Now().Add(-30 * 24 * time.Hour).UTC().Format(time.RFC3339)
	regtest.WriteFile(t, filepath.Join(dir, "notes", "startedat"), []byte(started))
	regtest.WriteFile(t, filepath.Join(dir, "0b5c1a8e-3f4d-4e2a-9c1b-7d6e5f4a3b2c", "data"), []byte("no startedat"))
	regtest.WriteFile(t, filepath.Join(dir, "0190f7a2-5b1c-7d3e-8f4a-1b2c3d4e5f60"), []byte("a file"))
	if err := os.Symlink(out, filepath.Join(regtest.UploadDir(root, "app", linked), "home")); err != nil {
		t.Fatal(err)
	}
	opts := untagged()
	opts.UploadsOlderThan = -1
	opts.Now = time.Now().Add(time.Hour)
	st := openStorage(t, root)
	p, err := gc.NewPlan(context.Background(), st, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Uploads) != 2 {
		t.Fatalf("planned uploads %+v, want the two sessions", p.Uploads)
	}
	sum, err := p.Execute(context.Background(), st, journaled(t, st, opts), nil)
	if err != nil {
		t.Fatal(err)
	}
	warnings := strings.Join(append(p.Warnings, sum.Warnings...), "\n")
	for _, w := range []string{"not upload sessions", "no readable startedat", "upload session " + linked + " kept"} {
		if !strings.Contains(warnings, w) {
			t.Errorf("no warning %q in:\n%s", w, warnings)
		}
	}
	regtest.AssertMissing(t, regtest.UploadDir(root, "app", session))
	regtest.AssertExists(t, regtest.UploadDir(root, "app", linked), filepath.Join(dir, "notes", "startedat"),
		filepath.Join(dir, "0b5c1a8e-3f4d-4e2a-9c1b-7d6e5f4a3b2c", "data"), filepath.Join(dir, "0190f7a2-5b1c-7d3e-8f4a-1b2c3d4e5f60"))
	regtest.AssertUnchanged(t, out, before)
	r.AssertAllTagsWhole(t)
}
