package regtest

import (
	"encoding/json"
	"math/rand"
	"sort"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// SampleLayerSize is the size of the random content of each sample layer.
const SampleLayerSize = 1024

// SeedTags are the tags of repository SeedRepo: T13 shares T12's manifest;
// the seed case removes T12, T22 and T52 and nothing else.
var SeedTags = []string{"T11", "T12", "T13", "T21", "T22", "T51", "T52"}

// Names in the sample.
const (
	SeedRepo   = "i"
	AppRepo    = "team/app"     // v1 (with a referrer), latest (pushed twice)
	APIRepo    = "team/app/api" // a repository nested inside team/app; v1 is a 3-platform index
	NestedRepo = "a/b/c"        // 1.0 is team/app:v1's manifest, with a cosign signature
)

// SampleInfo is what tests need to know about the sample registry. All
// digests are manifest digests unless said otherwise.
type SampleInfo struct {
	Repositories []string           `json:"repositories"` // sorted
	Tags         map[string]v1.Hash `json:"tags"`         // "repo:tag" -> current manifest, every tag
	// Reach maps "repo:tag" to every digest a pull of it fetches: its
	// manifest, children at any depth, configs and layers (sorted).
	Reach map[string][]v1.Hash `json:"reach"`

	Base v1.Hash `json:"base"` // a layer blob shared by every image of every repository

	SeedShared v1.Hash `json:"seed_shared"` // i:T12 and i:T13

	Index    v1.Hash   `json:"index"`    // team/app/api:v1, a Docker manifest list
	Children []v1.Hash `json:"children"` // its children: linux/amd64, linux/arm64, linux/arm/v7

	HistoryTag string  `json:"history_tag"` // "team/app:latest", pushed twice
	HistoryOld v1.Hash `json:"history_old"` // its first manifest, now untagged (in the tag's index/ history)

	Subject      v1.Hash `json:"subject"`       // team/app:v1 = a/b/c:1.0: one manifest in two repositories
	Referrer     v1.Hash `json:"referrer"`      // artifact in team/app whose subject is Subject
	ReferrerTag  string  `json:"referrer_tag"`  // "team/app:sha256-<hex of Subject>", the fallback index
	Signature    v1.Hash `json:"signature"`     // cosign signature of Subject in a/b/c
	SignatureTag string  `json:"signature_tag"` // "a/b/c:sha256-<hex of Subject>.sig"
}

// Sample pushes the standard sample registry into r (which should be
// empty) and describes it. Its content is deterministic: every random
// layer comes from a fixed seed, so the same go-containerregistry and Go
// versions always produce the same digests and bytes (see TestSample).
//
//	i             T11 T12 T13(=T12) T21 T22 T51 T52   images sharing the base layer
//	team/app      v1 (+ referrer artifact, fallback tag sha256-<v1>), latest pushed twice
//	team/app/api  v1: manifest list of linux/amd64, linux/arm64, linux/arm/v7
//	a/b/c         1.0 (= team/app:v1's manifest) + cosign tag sha256-<v1>.sig
func Sample(t testing.TB, r *Registry) SampleInfo {
	t.Helper()
	base := seededLayer(t, 1)
	img := func(seed int64, opts ...ImageOption) v1.Image {
		all := []ImageOption{WithSharedLayers(base), WithLayers(1, SampleLayerSize),
			WithSeed(seed), WithPlatform("linux", "amd64")}
		return NewImage(t, append(all, opts...)...)
	}
	for i, tag := range SeedTags {
		if tag != "T13" {
			r.Write(t, SeedRepo+":"+tag, img(int64(10+i)))
		}
	}
	r.Tag(t, SeedRepo+":T12", "T13")

	v1img, old := img(20), img(21)
	r.Write(t, AppRepo+":v1", v1img)
	r.Write(t, AppRepo+":latest", old)
	r.Write(t, AppRepo+":latest", img(22))
	subject := DigestOf(t, v1img)
	referrer := r.PushReferrer(t, AppRepo, subject)

	children := []v1.Image{img(30), img(31, WithPlatform("linux", "arm64")), img(32, WithPlatform("linux", "arm/v7"))}
	idx := r.PushIndex(t, APIRepo+":v1", children...)

	r.Write(t, NestedRepo+":1.0", v1img)
	sig := r.PushCosignSignature(t, NestedRepo, subject)

	info := SampleInfo{
		Base: DigestOf(t, base), SeedShared: r.Resolve(t, SeedRepo+":T12"), Index: DigestOf(t, idx),
		HistoryTag: AppRepo + ":latest", HistoryOld: DigestOf(t, old),
		Subject: subject, Referrer: DigestOf(t, referrer), ReferrerTag: AppRepo + ":" + FallbackTag(subject),
		Signature: DigestOf(t, sig), SignatureTag: NestedRepo + ":" + FallbackTag(subject) + ".sig",
	}
	for _, c := range children {
		info.Children = append(info.Children, DigestOf(t, c))
	}
	info.describe(t, r)
	return info
}

// seededLayer is a deterministic random layer.
func seededLayer(t testing.TB, seed int64) v1.Layer {
	t.Helper()
	l, err := random.Layer(SampleLayerSize, types.DockerLayer, random.WithSource(rand.NewSource(seed)))
	if err != nil {
		t.Fatalf("regtest: random layer: %v", err)
	}
	return l
}

// describe fills Repositories, Tags and Reach from the registry API.
func (s *SampleInfo) describe(t testing.TB, r *Registry) {
	t.Helper()
	s.Tags, s.Reach = map[string]v1.Hash{}, map[string][]v1.Hash{}
	all := r.Tags(t)
	s.Repositories = sortedKeys(all)
	for _, repo := range s.Repositories {
		for _, tag := range all[repo] {
			rt := repo + ":" + tag
			s.Tags[rt] = r.Resolve(t, rt)
			s.Reach[rt] = r.Reach(t, rt)
		}
	}
}

// UniqueBlobs returns, sorted, the digests (manifests, configs, layers)
// that the given "repo:tag"s reach and no other tag of the sample does:
// what removing those tags and collecting garbage frees, untagged
// revisions aside.
func (s SampleInfo) UniqueBlobs(tags ...string) []v1.Hash {
	gone := map[string]bool{}
	for _, rt := range tags {
		gone[rt] = true
	}
	kept := map[v1.Hash]bool{}
	for rt, ds := range s.Reach {
		if !gone[rt] {
			for _, d := range ds {
				kept[d] = true
			}
		}
	}
	set := map[v1.Hash]bool{}
	for _, rt := range tags {
		for _, d := range s.Reach[rt] {
			if !kept[d] {
				set[d] = true
			}
		}
	}
	return sortedHashes(set)
}

// Resolve returns the digest of the manifest repoTag names.
func (r *Registry) Resolve(t testing.TB, repoTag string) v1.Hash {
	t.Helper()
	desc, err := remote.Head(r.Ref(t, repoTag), remote.WithContext(t.Context()))
	if err != nil {
		t.Fatalf("regtest: resolve %s: %v", repoTag, err)
	}
	return desc.Digest
}

// Reach returns, sorted, every digest a pull of repoTag fetches: its
// manifest, its children at any depth, and their configs and layers (not
// the subject of an artifact).
func (r *Registry) Reach(t testing.TB, repoTag string) []v1.Hash {
	t.Helper()
	ref := r.Ref(t, repoTag)
	seen := map[v1.Hash]bool{}
	r.reach(t, ref.Context(), ref, seen)
	return sortedHashes(seen)
}

func (r *Registry) reach(t testing.TB, repo name.Repository, ref name.Reference, seen map[v1.Hash]bool) {
	t.Helper()
	desc, err := remote.Get(ref, remote.WithContext(t.Context()))
	if err != nil {
		t.Fatalf("regtest: get %s: %v", ref, err)
	}
	seen[desc.Digest] = true
	var m struct {
		Config    *v1.Descriptor  `json:"config"`
		Layers    []v1.Descriptor `json:"layers"`
		Manifests []v1.Descriptor `json:"manifests"`
	}
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		t.Fatalf("regtest: manifest %s: %v", ref, err)
	}
	if m.Config != nil {
		seen[m.Config.Digest] = true
	}
	for _, l := range m.Layers {
		seen[l.Digest] = true
	}
	for _, c := range m.Manifests {
		if !seen[c.Digest] {
			r.reach(t, repo, repo.Digest(c.Digest.String()), seen)
		}
	}
}

func sortedHashes(set map[v1.Hash]bool) []v1.Hash {
	out := make([]v1.Hash, 0, len(set))
	for d := range set {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}
