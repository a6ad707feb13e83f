package scan_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/docker/distribution/registry/storage/driver"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/scan"
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

// readOnly wraps a driver and fails the test on any writing call, to
// prove that check and scan never write (the tests run as root, where a
// read-only tree cannot be made with chmod).
type readOnly struct {
	driver.StorageDriver
	t testing.TB
}

func (r readOnly) fail(op, p string) error {
	r.t.Errorf("%s %s called on a read-only storage", op, p)
	return fmt.Errorf("%s %s: read-only", op, p)
}

func (r readOnly) PutContent(_ context.Context, p string, _ []byte) error {
	return r.fail("PutContent", p)
}

func (r readOnly) Writer(_ context.Context, p string, _ bool) (driver.FileWriter, error) {
	return nil, r.fail("Writer", p)
}
func (r readOnly) Move(_ context.Context, src, _ string) error { return r.fail("Move", src) }
func (r readOnly) Delete(_ context.Context, p string) error    { return r.fail("Delete", p) }

func openReadOnly(t testing.TB, root string) *storage.Storage {
	t.Helper()
	st := openStorage(t, root)
	st.Driver = readOnly{StorageDriver: st.Driver, t: t}
	return st
}

// problemKey is what a test asserts of a problem: everything but detail.
func problemKeys(ps []scan.Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		d := ""
		if !p.Digest.IsZero() {
			d = p.Digest.String()
		}
		out[i] = strings.Join([]string{p.Repository, p.Tag, d, string(p.Kind)}, " ")
	}
	return out
}

func key(repo, tag string, d v1.Hash, kind scan.ProblemKind) string {
	ds := ""
	if d != (v1.Hash{}) {
		ds = d.String()
	}
	return strings.Join([]string{repo, tag, ds, string(kind)}, " ")
}

func assertProblems(t *testing.T, got []scan.Problem, want ...string) {
	t.Helper()
	g := problemKeys(got)
	sort.Strings(g)
	sort.Strings(want)
	if strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s\ndetails:", strings.Join(g, "\n"), strings.Join(want, "\n"))
		for _, p := range got {
			t.Logf("  %s %s: %s", p.Repository, p.Kind, p.Detail)
		}
	}
}

func TestCheckCleanRegistry(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	base := regtest.RandomLayer(t, 700)
	img := r.PushImage(t, "app:v1", regtest.WithSharedLayers(base))
	r.PushImage(t, "team/app:v1", regtest.WithSharedLayers(base), regtest.WithOCI())
	r.Tag(t, "app:v1", "latest")
	amd := regtest.NewImage(t, regtest.WithPlatform("linux", "amd64"))
	arm := regtest.NewImage(t, regtest.WithPlatform("linux", "arm64"))
	r.PushIndex(t, "multi:v1", amd, arm)
	r.PushImage(t, "app") // untagged, by digest
	r.PushReferrer(t, "app", regtest.DigestOf(t, img))

	before := regtest.Snapshot(t, root)
	res, err := scan.Check(t.Context(), openReadOnly(t, root), scan.CheckOptions{VerifyDigests: true, Jobs: 4})
	if err != nil {
		t.Fatal(err)
	}
	assertProblems(t, res.Problems)
	regtest.AssertUnchanged(t, root, before)
	// app: v1, latest, referrer tag; team/app: v1; multi: v1.
	if res.Repositories != 3 || res.Tags != 5 {
		t.Errorf("checked %d repositories, %d tags; want 3, 5", res.Repositories, res.Tags)
	}
	// manifests: app 4 (image, untagged image, artifact, referrers index), team/app 1, multi 3.
	if res.Manifests != 8 {
		t.Errorf("checked %d manifests, want 8", res.Manifests)
	}
	if res.Verified != res.Blobs || res.Blobs == 0 {
		t.Errorf("verified %d of %d blobs", res.Verified, res.Blobs)
	}
	if !strings.HasPrefix(res.Summary(), "check: no problems in 3 repositories, 5 tags") {
		t.Errorf("summary %q", res.Summary())
	}
}

// TestCheckFindsDamage damages one thing per repository and wants exactly
// one problem for each, naming repository, tag, digest and kind.
func TestCheckFindsDamage(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)

	gone := r.PushImage(t, "deleted-layer:v1")
	goneLayer := regtest.BlobsOf(t, gone)[1]

	amd := regtest.NewImage(t, regtest.WithPlatform("linux", "amd64"))
	arm := regtest.NewImage(t, regtest.WithPlatform("linux", "arm64"))
	r.PushIndex(t, "multi-a:v1", amd, arm)
	r.PushIndex(t, "multi-b:v1", amd, arm)
	armDigest := regtest.DigestOf(t, arm)
	r.DeleteManifest(t, "multi-a", armDigest)

	trunc := r.PushImage(t, "truncated:v1")
	r.PushImage(t, "garbage:ok")
	regtest.WriteTagLink(t, root, "garbage", "bad", "not a digest\n")
	mustMkdir(t, regtest.TagDir(root, "garbage", "empty"))

	flipped := r.PushImage(t, "flipped:v1")
	flippedLayer := regtest.BlobsOf(t, flipped)[2]

	unlinked := r.PushImage(t, "unlinked:v1")
	unlinkedLayer := regtest.BlobsOf(t, unlinked)[1]

	regtest.DeleteBlob(t, root, goneLayer)
	regtest.TruncateBlob(t, root, regtest.DigestOf(t, trunc))
	regtest.FlipByte(t, root, flippedLayer)
	if err := os.Remove(regtest.LayerLink(root, "unlinked", unlinkedLayer)); err != nil {
		t.Fatal(err)
	}
	// A child deleted by digest through the API is what the registry
	// serves as it is (the index pulls): a warning, not a problem.
	warning := key("multi-a", "v1", armDigest, scan.ChildRevisionMissing)
	want := []string{
		key("deleted-layer", "v1", goneLayer, scan.BlobMissing),
		key("truncated", "v1", regtest.DigestOf(t, trunc), scan.ManifestBad),
		key("garbage", "bad", v1.Hash{}, scan.TagLinkBad),
		key("garbage", "empty", v1.Hash{}, scan.TagLinkMissing),
		key("unlinked", "v1", unlinkedLayer, scan.LayerLinkMissing),
	}
	st := openReadOnly(t, root)
	res, err := scan.Check(t.Context(), st, scan.CheckOptions{Jobs: 3})
	if err != nil {
		t.Fatal(err)
	}
	assertProblems(t, res.Problems, want...)
	assertProblems(t, res.Warnings, warning)
	for _, p := range res.Problems {
		if p.Kind == scan.ManifestBad && !strings.Contains(p.Detail, "not valid JSON") {
			t.Errorf("truncated manifest detail %q does not say why", p.Detail)
		}
	}

	res, err = scan.Check(t.Context(), st, scan.CheckOptions{VerifyDigests: true, Jobs: 3})
	if err != nil {
		t.Fatal(err)
	}
	assertProblems(t, res.Problems, append(want, key("flipped", "v1", flippedLayer, scan.DigestMismatch))...)

	res, err = scan.Check(t.Context(), st, scan.CheckOptions{Repositories: []string{"multi-b", "flipped"}})
	if err != nil {
		t.Fatal(err)
	}
	assertProblems(t, res.Problems)
}

func TestCheckMissingManifestAndChildBlob(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	img := r.PushImage(t, "lost:v1")
	amd := regtest.NewImage(t, regtest.WithPlatform("linux", "amd64"))
	arm := regtest.NewImage(t, regtest.WithPlatform("linux", "arm64"))
	r.PushIndex(t, "idx:v1", amd, arm)
	regtest.DeleteBlob(t, root, regtest.DigestOf(t, img))
	regtest.DeleteBlob(t, root, regtest.DigestOf(t, amd))
	// arm's revision goes whole (not only its link, as a delete by
	// digest would): a warning all the same, and check stops there, as a
	// pull of it by digest does (its blob is not looked at).
	regtest.DeleteBlob(t, root, regtest.DigestOf(t, arm))
	if err := os.RemoveAll(filepath.Dir(regtest.RevisionLink(root, "idx", regtest.DigestOf(t, arm)))); err != nil {
		t.Fatal(err)
	}
	res, err := scan.Check(t.Context(), openReadOnly(t, root), scan.CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	assertProblems(t, res.Problems,
		key("lost", "v1", regtest.DigestOf(t, img), scan.ManifestMissing),
		key("idx", "v1", regtest.DigestOf(t, amd), scan.ChildManifestMissing),
	)
	assertProblems(t, res.Warnings, key("idx", "v1", regtest.DigestOf(t, arm), scan.ChildRevisionMissing))
}

func mustMkdir(t testing.TB, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

// CheckImage finds what check finds through a tag, for one manifest: a
// whole image has no problem; a layer link or an index child's revision
// gone is named.
func TestCheckImage(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	img := r.PushImage(t, "app:v1", regtest.WithLayers(2, 64))
	a := regtest.NewImage(t, regtest.WithPlatform("linux", "amd64"), regtest.WithLayers(1, 64))
	b := regtest.NewImage(t, regtest.WithPlatform("linux", "arm64"), regtest.WithLayers(1, 64))
	idx := r.PushIndex(t, "app:multi", a, b)
	st := openStorage(t, root)
	ctx := context.Background()
	for ref, m := range map[string]interface{ Digest() (v1.Hash, error) }{"app:v1": img, "app:multi": idx} {
		d := mustDigest(t, regtest.DigestOf(t, m))
		ps, err := scan.CheckImage(ctx, st, "app", ref, d, 4)
		if err != nil || len(ps) != 0 {
			t.Errorf("CheckImage(%s) = %v, %v; want no problem", ref, ps, err)
		}
	}
	layer := regtest.LayersOf(t, img)[0]
	ld, _ := layer.Digest()
	if err := os.RemoveAll(filepath.Dir(regtest.LayerLink(root, "app", ld))); err != nil {
		t.Fatal(err)
	}
	child := regtest.DigestOf(t, b)
	if err := os.RemoveAll(filepath.Dir(regtest.RevisionLink(root, "app", child))); err != nil {
		t.Fatal(err)
	}
	ps, err := scan.CheckImage(ctx, st, "app", "v1", mustDigest(t, regtest.DigestOf(t, img)), 4)
	if err != nil || len(ps) != 1 || ps[0].Kind != scan.LayerLinkMissing || ps[0].Digest != mustDigest(t, ld) {
		t.Errorf("CheckImage without a layer link = %v, %v", ps, err)
	}
	ps, err = scan.CheckImage(ctx, st, "app", "multi", mustDigest(t, regtest.DigestOf(t, idx)), 4)
	if err != nil || len(ps) != 1 || ps[0].Kind != scan.ChildRevisionMissing || ps[0].Digest != mustDigest(t, child) {
		t.Errorf("CheckImage without a child's revision = %v, %v", ps, err)
	}
	gone := storage.Digest{1}
	ps, err = scan.CheckImage(ctx, st, "app", "x", gone, 4)
	if err != nil || len(ps) != 2 || ps[0].Kind != scan.ManifestMissing || ps[1].Kind != scan.RevisionMissing {
		t.Errorf("CheckImage of a manifest never pushed = %v, %v", ps, err)
	}
}

func mustDigest(t testing.TB, h v1.Hash) storage.Digest {
	t.Helper()
	d, err := storage.ParseDigest(h.String())
	if err != nil {
		t.Fatal(err)
	}
	return d
}
