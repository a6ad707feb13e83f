package commands

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/regprune/regprune/gc"
	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/storage"
)

func gcJSON(t *testing.T, out string) gc.Summary {
	t.Helper()
	var s gc.Summary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("gc --json: %v\n%s", err, out)
	}
	return s
}

// The dry run leaves the tree byte-for-byte unchanged (no lock file
// either), lists every object, and predicts exactly the counts and freed
// bytes of the real run; a second run removes nothing.
func TestGCCommandDryRunPredicts(t *testing.T) {
	t.Parallel()
	root, info := regtest.LoadSample(t)
	r := regtest.Start(t, root)
	for _, tag := range []string{"T12", "T22", "T52"} {
		mustRun(t, 0, "--root", root, "tag", "rm", "i:"+tag)
	}
	args := []string{"--root", root, "gc", "--delete-untagged", "--grace", "0"}
	before := regtest.Snapshot(t, root)
	text := mustRun(t, 0, append(args, "--dry-run")...)
	dry := gcJSON(t, mustRun(t, 0, append([]string{"--json"}, append(args, "--dry-run")...)...).Stdout)
	regtest.AssertUnchanged(t, root, before)
	unique := info.UniqueBlobs("i:T12", "i:T22", "i:T52")
	for _, d := range unique {
		if !strings.Contains(text.Stdout, "would remove blob "+d.String()) {
			t.Errorf("dry run does not list blob %s:\n%s", d, text.Stdout)
		}
	}
	if !strings.Contains(text.Stdout, "would remove manifest i@"+info.Tags["i:T22"].String()) ||
		!strings.Contains(text.Stdout, "gc: would remove") {
		t.Errorf("dry run output:\n%s", text.Stdout)
	}
	if !dry.DryRun || dry.Removed.Blobs < len(unique) || dry.FreedBytes <= 0 {
		t.Errorf("dry run summary %+v", dry)
	}

	real := gcJSON(t, mustRun(t, 0, append([]string{"--json"}, args...)...).Stdout)
	if real.DryRun || real.Removed != dry.Removed || real.FreedBytes != dry.FreedBytes || real.KeptRecent != dry.KeptRecent {
		t.Errorf("real run %+v\ndry run predicted %+v", real, dry)
	}
	regtest.AssertMissing(t, blobFilesOf(root, unique)...)
	r.AssertAllTagsWhole(t)

	again := mustRun(t, 0, append([]string{"-v"}, args...)...)
	if strings.Contains(again.Stdout, "removed manifest") || !strings.Contains(again.Stdout, "removed 0 manifests") {
		t.Errorf("second gc:\n%s", again.Stdout)
	}
	if strings.Contains(again.Stderr, "restarted") {
		t.Errorf("restart advice without removed blobs:\n%s", again.Stderr)
	}
}

// A real run names every object with -v and advises restarting a
// registry with a blob descriptor cache.
func TestGCCommandVerbose(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	r.PushImage(t, "app:v1")
	old := r.PushImage(t, "app")
	out := mustRun(t, 0, "--root", root, "-v", "gc", "--delete-untagged", "--grace", "0")
	d := regtest.DigestOf(t, old)
	for _, want := range []string{"removed manifest app@" + d.String(), "removed blob " + d.String(), "gc: blobs: removed"} {
		if !strings.Contains(out.Stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, out.Stdout)
		}
	}
	if !strings.Contains(out.Stderr, "storage.cache.blobdescriptor") {
		t.Errorf("no restart advice:\n%s", out.Stderr)
	}
	r.AssertAllTagsWhole(t)
}

// A held lock is exit 3 with nothing changed; a corrupt tagged manifest
// is exit 1 naming repository and digest; bad flags are exit 2.
func TestGCCommandRefuses(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	img := r.PushImage(t, "app:v1")
	r.PushImage(t, "app")
	st, err := storage.Open(context.Background(), storage.Location{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	lock, err := st.Lock(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	before := regtest.Snapshot(t, root)
	mustRun(t, 3, "--root", root, "gc", "--delete-untagged", "--grace", "0")
	regtest.AssertUnchanged(t, root, before)
	if err := lock.Unlock(); err != nil {
		t.Fatal(err)
	}

	d := regtest.DigestOf(t, img)
	regtest.WriteBlobData(t, root, d, []byte("{not json"))
	before = regtest.Snapshot(t, root)
	out := mustRun(t, 1, "--root", root, "gc", "--delete-untagged", "--grace", "0")
	if !strings.Contains(out.Stderr, "tag app:v1") || !strings.Contains(out.Stderr, d.String()) || !strings.Contains(out.Stderr, "JSON") {
		t.Errorf("corrupt manifest message:\n%s", out.Stderr)
	}
	regtest.AssertUnchanged(t, root, before)
	mustRun(t, 2, "--root", root, "gc", "extra")
	mustRun(t, 2, "--root", root, "gc", "--grace", "soon")
	mustRun(t, 2, "--root", root, "gc", "--jobs", "0")
}

func blobFilesOf(root string, ds []v1.Hash) []string {
	var out []string
	for _, d := range ds {
		out = append(out, regtest.BlobFile(root, d))
	}
	return out
}
