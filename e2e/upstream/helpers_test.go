package upstream

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/regprune/regprune/internal/cli"
	"github.com/regprune/regprune/internal/regtest"
)

// run runs regprune in-process with args and fails t unless it exits
// with want; it returns stdout.
func run(t testing.TB, want int, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), append([]string{"regprune"}, args...), &out, &errb)
	if code != want {
		t.Fatalf("regprune %v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, want, out.String(), errb.String())
	}
	return out.String()
}

// gc runs regprune gc --delete-untagged --grace 0 on root, as upstream's
// MarkAndSweep with RemoveUntagged, after a dry run whose plan must name
// what the run then removes; it returns the run's output.
func gc(t testing.TB, root string) string {
	t.Helper()
	dry := run(t, 0, "gc", "--root", root, "--delete-untagged", "--grace", "0", "--dry-run")
	out := run(t, 0, "gc", "--root", root, "--delete-untagged", "--grace", "0", "-v")
	for _, l := range strings.Split(dry, "\n") {
		if strings.HasPrefix(l, "would remove debris ") {
			name := strings.TrimSuffix(strings.TrimPrefix(l, "would remove debris "), " (no link)")
			if !strings.Contains(out, "removed debris "+name) {
				t.Errorf("the dry run's %q is not in the run's output:\n%s", l, out)
			}
		}
	}
	return out
}

// dirs lists the entries of dir (none when it does not exist), sorted.
func dirs(t testing.TB, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// blobs is every blob in the blob store, as hex.
func blobs(t testing.TB, root string) []string {
	t.Helper()
	base := filepath.Join(regtest.V2Dir(root), "blobs", "sha256")
	var out []string
	for _, pre := range dirs(t, base) {
		out = append(out, dirs(t, filepath.Join(base, pre))...)
	}
	slices.Sort(out)
	return out
}

// revisions is every directory under repo's _manifests/revisions, as hex,
// with its link or not: debris shows.
func revisions(t testing.TB, root, repo string) []string {
	t.Helper()
	return dirs(t, filepath.Join(regtest.RepoDir(root, repo), "_manifests", "revisions", "sha256"))
}

// layerLinks is every directory under repo's _layers, as hex.
func layerLinks(t testing.TB, root, repo string) []string {
	t.Helper()
	return dirs(t, filepath.Join(regtest.RepoDir(root, repo), "_layers", "sha256"))
}

// hexes is the sorted, distinct hex of ds.
func hexes(ds ...v1.Hash) []string {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.Hex)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func want(t testing.TB, what string, got, want []string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got == nil {
		got = []string{}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got  %v\n want %v", what, got, want)
	}
}

// manifestsOf is the digests of the manifests of imgs and idxs.
func manifestsOf(t testing.TB, ms ...interface{ Digest() (v1.Hash, error) }) []v1.Hash {
	t.Helper()
	out := make([]v1.Hash, len(ms))
	for i, m := range ms {
		out[i] = regtest.DigestOf(t, m)
	}
	return out
}

// blobsOf is the digests of the manifests, configs and layers of imgs.
func blobsOf(t testing.TB, imgs ...v1.Image) []v1.Hash {
	t.Helper()
	var out []v1.Hash
	for _, img := range imgs {
		out = append(append(out, regtest.DigestOf(t, img)), regtest.BlobsOf(t, img)...)
	}
	return out
}

// layersOf is the configs and layers of imgs: what a repository's _layers
// links.
func layersOf(t testing.TB, imgs ...v1.Image) []v1.Hash {
	t.Helper()
	var out []v1.Hash
	for _, img := range imgs {
		out = append(out, regtest.BlobsOf(t, img)...)
	}
	return out
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// jsonInt is the number member key of the first line of doc (indented
// JSON) holding it ("key": N).
func jsonInt(t testing.TB, doc, key string) int {
	t.Helper()
	for _, l := range strings.Split(doc, "\n") {
		l = strings.TrimSpace(l)
		if v, ok := strings.CutPrefix(l, `"`+key+`": `); ok {
			var x int
			if _, err := fmt.Sscanf(strings.TrimSuffix(v, ","), "%d", &x); err != nil {
				t.Fatalf("%s: %q: %v", key, l, err)
			}
			return x
		}
	}
	t.Fatalf("no %q in:\n%s", key, doc)
	return 0
}
