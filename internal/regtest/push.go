package regtest

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Default shape of a pushed image: DefaultLayers random layers of
// DefaultLayerSize bytes of (incompressible) tar content each.
const (
	DefaultLayers    = 2
	DefaultLayerSize = 512
)

// ImageOption shapes an image built by PushImage or NewImage.
type ImageOption func(*imageOptions)

type imageOptions struct {
	layers    int
	size      int64
	shared    []v1.Layer
	os, arch  string
	variant   string
	oci       bool
	seed      int64
	hasSeed   bool
	configSet bool
}

// WithLayers gives the image n fresh random layers of size bytes each
// (after any shared layers). n may be 0.
func WithLayers(n int, size int64) ImageOption {
	return func(o *imageOptions) { o.layers, o.size = n, size }
}

// WithSharedLayers puts ls first in the image, before its fresh random
// layers: images built with the same ls share those blobs, in one
// repository or across repositories.
func WithSharedLayers(ls ...v1.Layer) ImageOption {
	return func(o *imageOptions) { o.shared = append(o.shared, ls...) }
}

// WithPlatform sets the image's platform in its config (and so in the
// descriptor PushIndex writes for it). arch may carry a variant: "arm/v7".
func WithPlatform(os, arch string) ImageOption {
	return func(o *imageOptions) {
		o.os, o.arch, o.configSet = os, arch, true
		if a, v, ok := strings.Cut(arch, "/"); ok {
			o.arch, o.variant = a, v
		}
	}
}

// WithOCI builds an OCI image manifest with OCI layers instead of the
// default Docker schema2 manifest.
func WithOCI() ImageOption { return func(o *imageOptions) { o.oci = true } }

// WithSeed makes the image's random layers a pure function of seed, so
// that the same options always build the same digests.
func WithSeed(seed int64) ImageOption {
	return func(o *imageOptions) { o.seed, o.hasSeed = seed, true }
}

// Ref parses "repo:tag" or "repo@sha256:..." into a reference on r. The
// names are not validated here (go-containerregistry would refuse the
// one-letter repository names distribution accepts): the registry judges.
func (r *Registry) Ref(t testing.TB, repoTag string) name.Reference {
	t.Helper()
	if repo, d, ok := strings.Cut(repoTag, "@"); ok {
		return r.Repo(t, repo).Digest(d)
	}
	i := strings.LastIndex(repoTag, ":")
	if i < 0 || strings.Contains(repoTag[i:], "/") {
		t.Fatalf("regtest: reference %q: want repo:tag or repo@digest", repoTag)
	}
	return r.Repo(t, repoTag[:i]).Tag(repoTag[i+1:])
}

// Repo returns repository repo on r.
func (r *Registry) Repo(t testing.TB, repo string) name.Repository {
	t.Helper()
	if repo == "" {
		t.Fatalf("regtest: empty repository name")
	}
	return r.registry(t).Repo(repo)
}

func (r *Registry) registry(t testing.TB) name.Registry {
	t.Helper()
	reg, err := name.NewRegistry(r.Host, name.Insecure)
	if err != nil {
		t.Fatalf("regtest: registry %s: %v", r.Host, err)
	}
	return reg
}

// Digest returns the reference of digest d in repo.
func (r *Registry) Digest(t testing.TB, repo string, d v1.Hash) name.Reference {
	t.Helper()
	return r.Ref(t, repo+"@"+d.String())
}

// NewImage builds an image in memory without pushing it.
func NewImage(t testing.TB, opts ...ImageOption) v1.Image {
	t.Helper()
	o := imageOptions{layers: DefaultLayers, size: DefaultLayerSize}
	for _, opt := range opts {
		opt(&o)
	}
	layers := append([]v1.Layer(nil), o.shared...)
	mt := types.DockerLayer
	if o.oci {
		mt = types.OCILayer
	}
	for i := 0; i < o.layers; i++ {
		var ropts []random.Option
		if o.hasSeed {
			ropts = append(ropts, random.WithSource(rand.NewSource(o.seed*1000+int64(i))))
		}
		l, err := random.Layer(o.size, mt, ropts...)
		if err != nil {
			t.Fatalf("regtest: random layer: %v", err)
		}
		layers = append(layers, l)
	}
	base := empty.Image
	if o.oci {
		base = mutate.ConfigMediaType(mutate.MediaType(base, types.OCIManifestSchema1), types.OCIConfigJSON)
	}
	img, err := mutate.AppendLayers(base, layers...)
	if err != nil {
		t.Fatalf("regtest: append layers: %v", err)
	}
	return withPlatform(t, img, o)
}

func withPlatform(t testing.TB, img v1.Image, o imageOptions) v1.Image {
	t.Helper()
	if !o.configSet {
		return img
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("regtest: config: %v", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = o.os, o.arch, o.variant
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatalf("regtest: set platform: %v", err)
	}
	return img
}

// RandomLayer returns a fresh random layer of size bytes, to share between
// images with WithSharedLayers.
func RandomLayer(t testing.TB, size int64) v1.Layer {
	t.Helper()
	l, err := random.Layer(size, types.DockerLayer)
	if err != nil {
		t.Fatalf("regtest: random layer: %v", err)
	}
	return l
}

// PushImage builds an image (see the options) and pushes it to
// "repo:tag", or by digest when repoTag is only a repository name.
func (r *Registry) PushImage(t testing.TB, repoTag string, opts ...ImageOption) v1.Image {
	t.Helper()
	img := NewImage(t, opts...)
	r.Write(t, repoTag, img)
	return img
}

// Write pushes an existing image to "repo:tag" (or by digest to "repo").
func (r *Registry) Write(t testing.TB, repoTag string, img v1.Image) {
	t.Helper()
	ref := r.target(t, repoTag, img)
	if err := remote.Write(ref, img, uploadOptions(t)...); err != nil {
		t.Fatalf("regtest: push image %s: %v", ref, err)
	}
}

// uploadOptions are the options of a push that uploads several blobs. One
// upload at a time: go-containerregistry up to v0.21.8 swaps its writer's
// HTTP client while parallel uploads use it when a layer is mounted from
// another repository (a data race, google/go-containerregistry#2391, fixed
// in v0.21.9, which needs github.com/distribution/reference v0.6.0 and so
// cannot build beside docker/distribution v2.8.3).
func uploadOptions(t testing.TB) []remote.Option {
	return []remote.Option{remote.WithContext(t.Context()), remote.WithJobs(1)}
}

// target is repoTag itself, or repo@digest of m when repoTag has no tag.
func (r *Registry) target(t testing.TB, repoTag string, m interface{ Digest() (v1.Hash, error) }) name.Reference {
	t.Helper()
	if strings.ContainsAny(repoTag, ":@") {
		return r.Ref(t, repoTag)
	}
	return r.Digest(t, repoTag, DigestOf(t, m))
}

// PushIndex pushes children by digest, then an index of them tagged
// repoTag (by digest when repoTag has no tag). Each child's descriptor
// carries its platform. The index is a Docker manifest list when the first
// child is a Docker manifest, an OCI index otherwise.
func (r *Registry) PushIndex(t testing.TB, repoTag string, children ...v1.Image) v1.ImageIndex {
	t.Helper()
	repo := strings.SplitN(strings.SplitN(repoTag, "@", 2)[0], ":", 2)[0]
	var base v1.ImageIndex = empty.Index
	adds := make([]mutate.IndexAddendum, 0, len(children))
	for i, c := range children {
		r.Write(t, repo, c)
		mt, err := c.MediaType()
		if err != nil {
			t.Fatalf("regtest: child %d media type: %v", i, err)
		}
		if i == 0 && mt == types.DockerManifestSchema2 {
			base = mutate.IndexMediaType(base, types.DockerManifestList)
		}
		desc := v1.Descriptor{MediaType: mt, Platform: platformOf(t, c)}
		adds = append(adds, mutate.IndexAddendum{Add: c, Descriptor: desc})
	}
	idx := mutate.AppendManifests(base, adds...)
	r.WriteIndex(t, repoTag, idx)
	return idx
}

func platformOf(t testing.TB, img v1.Image) *v1.Platform {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("regtest: config: %v", err)
	}
	if cf.OS == "" && cf.Architecture == "" {
		return nil
	}
	return &v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}
}

// PushIndexOf pushes an OCI index whose children are the indexes idx
// (each pushed by digest first), tagged repoTag.
func (r *Registry) PushIndexOf(t testing.TB, repoTag string, idx ...v1.ImageIndex) v1.ImageIndex {
	t.Helper()
	adds := make([]mutate.IndexAddendum, 0, len(idx))
	for i, c := range idx {
		mt, err := c.MediaType()
		if err != nil {
			t.Fatalf("regtest: index %d media type: %v", i, err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: c, Descriptor: v1.Descriptor{MediaType: mt}})
	}
	top := mutate.AppendManifests(empty.Index, adds...)
	r.WriteIndex(t, repoTag, top)
	return top
}

// WriteIndex pushes an existing index (its children by digest first) to
// "repo:tag", or by digest to "repo".
func (r *Registry) WriteIndex(t testing.TB, repoTag string, idx v1.ImageIndex) {
	t.Helper()
	ref := r.target(t, repoTag, idx)
	if err := remote.WriteIndex(ref, idx, uploadOptions(t)...); err != nil {
		t.Fatalf("regtest: push index %s: %v", ref, err)
	}
}

// Tag points dstTag, in the same repository, at the manifest srcRepoTag
// ("repo:tag" or "repo@digest") names.
func (r *Registry) Tag(t testing.TB, srcRepoTag, dstTag string) {
	t.Helper()
	src := r.Ref(t, srcRepoTag)
	desc, err := remote.Get(src, remote.WithContext(t.Context()))
	if err != nil {
		t.Fatalf("regtest: get %s: %v", src, err)
	}
	dst := src.Context().Tag(dstTag)
	if err := remote.Tag(dst, desc, remote.WithContext(t.Context())); err != nil {
		t.Fatalf("regtest: tag %s as %s: %v", src, dst, err)
	}
}

// DeleteManifest deletes manifest d from repo through the registry API
// (DELETE /v2/<repo>/manifests/<digest>), as a client would.
func (r *Registry) DeleteManifest(t testing.TB, repo string, d v1.Hash) {
	t.Helper()
	ref := r.Digest(t, repo, d)
	if err := remote.Delete(ref, remote.WithContext(t.Context())); err != nil {
		t.Fatalf("regtest: delete %s: %v", ref, err)
	}
}

// DigestOf returns the digest of an image, index or layer.
func DigestOf(t testing.TB, m interface{ Digest() (v1.Hash, error) }) v1.Hash {
	t.Helper()
	d, err := m.Digest()
	if err != nil {
		t.Fatalf("regtest: digest: %v", err)
	}
	return d
}

// LayersOf returns the image's layers (to share them with another image).
func LayersOf(t testing.TB, img v1.Image) []v1.Layer {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatalf("regtest: layers: %v", err)
	}
	return ls
}

// BlobsOf returns the digests of the image's config and layers.
func BlobsOf(t testing.TB, img v1.Image) []v1.Hash {
	t.Helper()
	m, err := img.Manifest()
	if err != nil {
		t.Fatalf("regtest: manifest: %v", err)
	}
	out := []v1.Hash{m.Config.Digest}
	for _, l := range m.Layers {
		out = append(out, l.Digest)
	}
	return out
}

// FallbackTag is "sha256-<hex>": the OCI referrers tag schema tag of d.
func FallbackTag(d v1.Hash) string { return fmt.Sprintf("%s-%s", d.Algorithm, d.Hex) }
