package regtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Media types of the artifacts regtest pushes.
const (
	// ReferrerArtifactType is the artifactType of PushReferrer's artifacts.
	ReferrerArtifactType = "application/vnd.regtest.sbom.v1+json"
	// EmptyConfigType is the OCI 1.1 empty config descriptor media type.
	EmptyConfigType = "application/vnd.oci.empty.v1+json"
	// CosignPayloadType is cosign's simple signing payload layer type.
	CosignPayloadType = "application/vnd.dev.cosign.simplesigning.v1+json"
	// CosignSignatureAnnotation carries the signature on the payload layer.
	CosignSignatureAnnotation = "dev.cosignproject.cosign/signature"
)

// artifactManifest is an OCI 1.1 image manifest used as an artifact.
type artifactManifest struct {
	SchemaVersion int             `json:"schemaVersion"`
	MediaType     types.MediaType `json:"mediaType"`
	ArtifactType  string          `json:"artifactType"`
	Config        v1.Descriptor   `json:"config"`
	Layers        []v1.Descriptor `json:"layers"`
	Subject       *v1.Descriptor  `json:"subject"`
}

type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.raw, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mt, nil }

// PushReferrer pushes, by digest, an OCI artifact (an image manifest with
// artifactType ReferrerArtifactType, the empty config and one small JSON
// layer) whose subject is manifest subject of repo. distribution has no
// referrers API, so go-containerregistry adds the artifact to the
// referrers fallback tag FallbackTag(subject), an OCI index, creating it
// if needed. Repeated calls for one subject push distinct artifacts; the
// content is deterministic (it depends on subject and the index size).
func (r *Registry) PushReferrer(t testing.TB, repo string, subject v1.Hash) v1.Image {
	t.Helper()
	sub, err := remote.Head(r.Digest(t, repo, subject), remote.WithContext(t.Context()))
	if err != nil {
		t.Fatalf("regtest: referrer subject %s@%s: %v", repo, subject, err)
	}
	n := r.referrerCount(t, repo, subject)
	body := fmt.Sprintf(`{"regtest":"sbom","subject":%q,"n":%d}`, subject, n)
	cfg := r.pushBlob(t, repo, []byte("{}"), EmptyConfigType)
	cfg.Data = []byte("{}")
	layer := r.pushBlob(t, repo, []byte(body), ReferrerArtifactType)
	m := artifactManifest{
		SchemaVersion: 2, MediaType: types.OCIManifestSchema1, ArtifactType: ReferrerArtifactType,
		Config: cfg, Layers: []v1.Descriptor{layer},
		Subject: &v1.Descriptor{MediaType: sub.MediaType, Size: sub.Size, Digest: sub.Digest},
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("regtest: referrer manifest: %v", err)
	}
	d, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("regtest: referrer digest: %v", err)
	}
	ref := r.Digest(t, repo, d)
	if err := remote.Put(ref, rawManifest{raw, types.OCIManifestSchema1}, remote.WithContext(t.Context())); err != nil {
		t.Fatalf("regtest: push referrer %s: %v", ref, err)
	}
	img, err := remote.Image(ref, remote.WithContext(t.Context()))
	if err != nil {
		t.Fatalf("regtest: pull referrer %s: %v", ref, err)
	}
	return img
}

// referrerCount is the number of entries in subject's fallback tag index.
func (r *Registry) referrerCount(t testing.TB, repo string, subject v1.Hash) int {
	t.Helper()
	desc, err := remote.Get(r.Ref(t, repo+":"+FallbackTag(subject)), remote.WithContext(t.Context()))
	if isManifestUnknown(err) {
		return 0
	}
	if err != nil {
		t.Fatalf("regtest: referrers of %s@%s: %v", repo, subject, err)
	}
	var im v1.IndexManifest
	if err := json.Unmarshal(desc.Manifest, &im); err != nil {
		t.Fatalf("regtest: referrers index of %s@%s: %v", repo, subject, err)
	}
	return len(im.Manifests)
}

// pushBlob uploads b to repo and returns its descriptor.
func (r *Registry) pushBlob(t testing.TB, repo string, b []byte, mt types.MediaType) v1.Descriptor {
	t.Helper()
	l := static.NewLayer(b, mt)
	if err := remote.WriteLayer(r.Repo(t, repo), l, remote.WithContext(t.Context())); err != nil {
		t.Fatalf("regtest: push blob to %s: %v", repo, err)
	}
	return v1.Descriptor{MediaType: mt, Size: int64(len(b)), Digest: DigestOf(t, l)}
}

// PushCosignSignature pushes a cosign-style signature of manifest subject
// of repo: an OCI image whose one layer is a simple signing payload
// (CosignPayloadType, annotated with a fake, deterministic signature),
// without a subject field, tagged "sha256-<hex>.sig" as cosign does.
func (r *Registry) PushCosignSignature(t testing.TB, repo string, subject v1.Hash) v1.Image {
	t.Helper()
	payload := fmt.Sprintf(`{"critical":{"identity":{"docker-reference":%q},`+
		`"image":{"docker-manifest-digest":%q},"type":"cosign container image signature"},"optional":null}`,
		repo, subject.String())
	sum := sha256.Sum256([]byte(payload))
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:       static.NewLayer([]byte(payload), CosignPayloadType),
		Annotations: map[string]string{CosignSignatureAnnotation: base64.StdEncoding.EncodeToString(sum[:])},
	})
	if err != nil {
		t.Fatalf("regtest: signature image: %v", err)
	}
	r.Write(t, repo+":"+FallbackTag(subject)+".sig", img)
	return img
}
