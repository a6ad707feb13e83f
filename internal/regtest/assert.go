package regtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"golang.org/x/sync/errgroup"
)

// AssertWhole fails t unless repoTag ("repo:tag" or "repo@digest") pulls
// whole: see Whole.
func (r *Registry) AssertWhole(t testing.TB, repoTag string) {
	t.Helper()
	if err := r.Whole(t.Context(), r.Ref(t, repoTag)); err != nil {
		t.Errorf("regtest: %s does not pull whole: %v", repoTag, err)
	}
}

// AssertAllTagsWhole fails t, once per broken tag naming repo:tag and the
// error, unless every tag of every repository (the catalog, then each
// repository's tags/list) pulls whole.
func (r *Registry) AssertAllTagsWhole(t testing.TB) {
	t.Helper()
	all := r.Tags(t)
	var refs []string
	for _, repo := range sortedKeys(all) {
		for _, tag := range all[repo] {
			refs = append(refs, repo+":"+tag)
		}
	}
	errs := make([]error, len(refs))
	var g errgroup.Group
	g.SetLimit(4)
	for i, rt := range refs {
		ref := r.Ref(t, rt)
		g.Go(func() error { errs[i] = r.Whole(t.Context(), ref); return nil })
	}
	_ = g.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("regtest: %s does not pull whole: %v", refs[i], err)
		}
	}
}

// AssertGone fails t unless pulling repoTag fails with 404
// MANIFEST_UNKNOWN. Success or any other error is a failure.
func (r *Registry) AssertGone(t testing.TB, repoTag string) {
	t.Helper()
	desc, err := remote.Get(r.Ref(t, repoTag), remote.WithContext(t.Context()))
	switch {
	case err == nil:
		t.Errorf("regtest: %s still pulls (manifest %s)", repoTag, desc.Digest)
	case !isManifestUnknown(err):
		t.Errorf("regtest: %s: want 404 MANIFEST_UNKNOWN, got %v", repoTag, err)
	}
}

// Tags lists every repository of the catalog with its tags, through the
// registry API. A repository without a tags directory has no tags.
func (r *Registry) Tags(t testing.TB) map[string][]string {
	t.Helper()
	repos, err := remote.Catalog(t.Context(), r.registry(t))
	if err != nil {
		t.Fatalf("regtest: catalog: %v", err)
	}
	out := make(map[string][]string, len(repos))
	for _, repo := range repos {
		tags, err := remote.List(r.Repo(t, repo), remote.WithContext(t.Context()))
		if err != nil && !hasCode(err, transport.NameUnknownErrorCode) {
			t.Fatalf("regtest: tags of %s: %v", repo, err)
		}
		sort.Strings(tags)
		out[repo] = tags
	}
	return out
}

// Whole pulls ref and verifies everything a client would fetch: for an
// index, every child (at any depth) by digest from the same repository,
// with the size and media type the index states; for an image with a
// Docker or OCI config, validate.Image (every blob fetched, digests,
// sizes and diff IDs checked); for any other manifest (artifacts), every
// blob it lists fetched and checked against its digest and size.
func (r *Registry) Whole(ctx context.Context, ref name.Reference) error {
	desc, err := remote.Get(ref, remote.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("get %s: %w", ref, err)
	}
	return whole(ctx, ref.Context(), desc)
}

func whole(ctx context.Context, repo name.Repository, desc *remote.Descriptor) error {
	switch {
	case desc.MediaType.IsIndex():
		return wholeIndex(ctx, repo, desc)
	case desc.MediaType.IsImage():
		return wholeImage(ctx, repo, desc)
	}
	return fmt.Errorf("manifest %s: unsupported media type %q", desc.Digest, desc.MediaType)
}

func wholeIndex(ctx context.Context, repo name.Repository, desc *remote.Descriptor) error {
	var im v1.IndexManifest
	if err := json.Unmarshal(desc.Manifest, &im); err != nil {
		return fmt.Errorf("index %s: %w", desc.Digest, err)
	}
	for _, m := range im.Manifests {
		child, err := remote.Get(repo.Digest(m.Digest.String()), remote.WithContext(ctx))
		if err != nil {
			return fmt.Errorf("index %s: child %s: %w", desc.Digest, m.Digest, err)
		}
		if child.Size != m.Size || child.MediaType != m.MediaType {
			return fmt.Errorf("index %s: child %s is %s of %d bytes, index says %s of %d",
				desc.Digest, m.Digest, child.MediaType, child.Size, m.MediaType, m.Size)
		}
		if err := whole(ctx, repo, child); err != nil {
			return fmt.Errorf("index %s: %w", desc.Digest, err)
		}
	}
	return nil
}

func wholeImage(ctx context.Context, repo name.Repository, desc *remote.Descriptor) error {
	var m v1.Manifest
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		return fmt.Errorf("manifest %s: %w", desc.Digest, err)
	}
	if isContainerImage(m) {
		img, err := desc.Image()
		if err != nil {
			return fmt.Errorf("image %s: %w", desc.Digest, err)
		}
		if err := validate.Image(img); err != nil {
			return fmt.Errorf("image %s: %w", desc.Digest, err)
		}
		return nil
	}
	for _, b := range append([]v1.Descriptor{m.Config}, m.Layers...) {
		if err := wholeBlob(ctx, repo, b); err != nil {
			return fmt.Errorf("artifact %s: %w", desc.Digest, err)
		}
	}
	return nil
}

// isContainerImage reports whether validate.Image understands m: a Docker
// or OCI config and layers of the standard layer media types.
func isContainerImage(m v1.Manifest) bool {
	if m.Config.MediaType != types.DockerConfigJSON && m.Config.MediaType != types.OCIConfigJSON {
		return false
	}
	for _, l := range m.Layers {
		if !l.MediaType.IsLayer() {
			return false
		}
	}
	return true
}

// wholeBlob fetches one blob from repo and checks its digest and size.
func wholeBlob(ctx context.Context, repo name.Repository, b v1.Descriptor) error {
	l, err := remote.Layer(repo.Digest(b.Digest.String()), remote.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("blob %s: %w", b.Digest, err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return fmt.Errorf("blob %s: %w", b.Digest, err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return fmt.Errorf("blob %s: %w", b.Digest, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != b.Digest.Hex || n != b.Size {
		return fmt.Errorf("blob %s: got %d bytes with digest sha256:%s, want %d", b.Digest, n, got, b.Size)
	}
	return nil
}

// isManifestUnknown reports whether err is the registry's 404
// MANIFEST_UNKNOWN answer.
func isManifestUnknown(err error) bool {
	return hasCode(err, transport.ManifestUnknownErrorCode)
}

func hasCode(err error, code transport.ErrorCode) bool {
	var te *transport.Error
	if !errors.As(err, &te) || te.StatusCode != http.StatusNotFound {
		return false
	}
	for _, d := range te.Errors {
		if d.Code == code {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
