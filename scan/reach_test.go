package scan_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
)

// TestIndexChildren: an image reaches nothing; an index its children; an
// index of indexes every manifest below it, each once; a child whose blob
// is gone is an error naming the index.
func TestIndexChildren(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	amd := regtest.NewImage(t, regtest.WithPlatform("linux", "amd64"))
	arm := regtest.NewImage(t, regtest.WithPlatform("linux", "arm64"))
	img := r.PushImage(t, "app:image")
	inner := r.PushIndex(t, "app:inner", amd, arm)
	other := regtest.NewImage(t, regtest.WithPlatform("linux", "s390x"))
	outer := r.PushIndexOf(t, "app:outer", inner, r.PushIndex(t, "app:second", other, amd))
	st := openStorage(t, root)
	ctx := context.Background()
	mans := scan.NewManifests(st)
	digest := func(h v1.Hash) storage.Digest {
		d, err := storage.ParseDigest(h.String())
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	if got, err := scan.IndexChildren(ctx, mans, digest(regtest.DigestOf(t, img))); err != nil || len(got) != 0 {
		t.Errorf("image: %v, %v; want nothing", got, err)
	}
	got, err := scan.IndexChildren(ctx, mans, digest(regtest.DigestOf(t, inner)))
	want := []storage.Digest{digest(regtest.DigestOf(t, amd)), digest(regtest.DigestOf(t, arm))}
	if err != nil || !sameDigests(got, want) {
		t.Errorf("index: %v, %v; want %v", got, err, want)
	}
	got, err = scan.IndexChildren(ctx, mans, digest(regtest.DigestOf(t, outer)))
	want = append(want, digest(regtest.DigestOf(t, inner)), digest(r.Resolve(t, "app:second")), digest(regtest.DigestOf(t, other)))
	if err != nil || !sameDigests(got, want) {
		t.Errorf("index of indexes: %v, %v; want the %d manifests below it", got, err, len(want))
	}

	regtest.DeleteBlob(t, root, regtest.DigestOf(t, other))
	_, err = scan.IndexChildren(ctx, scan.NewManifests(st), digest(regtest.DigestOf(t, outer)))
	if !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("child blob gone: %v, want ErrNotFound", err)
	}
	_, err = scan.IndexChildren(ctx, scan.NewManifests(st), digest(regtest.DigestOf(t, other)))
	if !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("manifest gone: %v, want ErrNotFound", err)
	}
}

func sameDigests(a, b []storage.Digest) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.SortFunc(a, storage.Digest.Compare)
	slices.SortFunc(b, storage.Digest.Compare)
	return slices.Equal(a, b)
}
