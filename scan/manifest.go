// Package scan reads a registry storage into facts (repositories, tags with
// push times, manifests and what they reference, the inventory of where
// the space goes) and checks that every tag would pull whole (Check).
// Which tags go is decided by package retention.
package scan

import (
	"encoding/json"
	"fmt"

	"github.com/regprune/regprune/storage"
)

// Manifest media types the registry accepts.
const (
	MediaTypeDockerSchema1       = "application/vnd.docker.distribution.manifest.v1+json"
	MediaTypeDockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"
	MediaTypeDockerSchema2       = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerList          = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeOCIManifest         = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeOCIIndex            = "application/vnd.oci.image.index.v1+json"
	MediaTypeOCIArtifact         = "application/vnd.oci.artifact.manifest.v1+json"
)

// Kind is what a manifest is, for people: an image or an index.
type Kind string

// Kinds of manifest.
const (
	KindImage    Kind = "image"
	KindIndex    Kind = "index"
	KindArtifact Kind = "artifact"
	KindSchema1  Kind = "schema1"
)

// Ref is one reference a manifest makes, by descriptor.
type Ref struct {
	Digest storage.Digest
	Size   int64
}

// Manifest is what a manifest references, read by its descriptors.
type Manifest struct {
	MediaType string
	Kind      Kind
	Children  []Ref           // manifests of an index or manifest list
	Blobs     []Ref           // config, layers, artifact blobs, schema1 fsLayers
	Subject   *storage.Digest // the manifest this one refers to (OCI subject)
}

type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

type rawManifest struct {
	SchemaVersion *int          `json:"schemaVersion"`
	MediaType     string        `json:"mediaType"`
	Config        *descriptor   `json:"config"`
	Layers        []descriptor  `json:"layers"`
	Manifests     []descriptor  `json:"manifests"`
	Blobs         []descriptor  `json:"blobs"`
	Subject       *descriptor   `json:"subject"`
	FSLayers      []fsLayer     `json:"fsLayers"`
	Signatures    []interface{} `json:"signatures"`
}

type fsLayer struct {
	BlobSum string `json:"blobSum"`
}

// ParseManifest reads the references of a manifest. Anything it cannot
// interpret with certainty (invalid JSON, an unknown schema version or media
// type, a shape that contradicts the media type, a descriptor without a
// sha256 digest) is an error wrapping storage.ErrBadManifest: a collector
// cannot know what such a manifest keeps alive.
func ParseManifest(b []byte) (*Manifest, error) {
	var raw rawManifest
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%w: not valid JSON: %v", storage.ErrBadManifest, err)
	}
	if raw.SchemaVersion == nil {
		return nil, fmt.Errorf("%w: no schemaVersion", storage.ErrBadManifest)
	}
	switch *raw.SchemaVersion {
	case 1:
		return parseSchema1(&raw)
	case 2:
		return parseSchema2(&raw)
	default:
		return nil, fmt.Errorf("%w: unknown schemaVersion %d", storage.ErrBadManifest, *raw.SchemaVersion)
	}
}

func parseSchema1(raw *rawManifest) (*Manifest, error) {
	switch raw.MediaType {
	case "", MediaTypeDockerSchema1, MediaTypeDockerSchema1Signed:
	default:
		return nil, fmt.Errorf("%w: schemaVersion 1 with media type %q", storage.ErrBadManifest, raw.MediaType)
	}
	if len(raw.FSLayers) == 0 {
		return nil, fmt.Errorf("%w: schema1 manifest without fsLayers", storage.ErrBadManifest)
	}
	m := &Manifest{MediaType: MediaTypeDockerSchema1, Kind: KindSchema1}
	for i, l := range raw.FSLayers {
		d, err := storage.ParseDigest(l.BlobSum)
		if err != nil {
			return nil, fmt.Errorf("%w: fsLayers[%d]: %w", storage.ErrBadManifest, i, err)
		}
		m.Blobs = append(m.Blobs, Ref{Digest: d, Size: -1})
	}
	return m, nil
}

func parseSchema2(raw *rawManifest) (*Manifest, error) {
	isIndex := raw.Manifests != nil
	isImage := raw.Config != nil
	isArtifact := raw.MediaType == MediaTypeOCIArtifact
	m := &Manifest{MediaType: raw.MediaType}
	switch {
	case isIndex && (isImage || len(raw.Layers) > 0):
		return nil, fmt.Errorf("%w: both manifests and config/layers", storage.ErrBadManifest)
	case isIndex:
		if !oneOf(raw.MediaType, "", MediaTypeDockerList, MediaTypeOCIIndex) {
			return nil, fmt.Errorf("%w: index with media type %q", storage.ErrBadManifest, raw.MediaType)
		}
		m.Kind = KindIndex
	case isImage:
		if !oneOf(raw.MediaType, "", MediaTypeDockerSchema2, MediaTypeOCIManifest) {
			return nil, fmt.Errorf("%w: image with media type %q", storage.ErrBadManifest, raw.MediaType)
		}
		m.Kind = KindImage
	case isArtifact:
		m.Kind = KindArtifact
	default:
		return nil, fmt.Errorf("%w: media type %q with neither config nor manifests", storage.ErrBadManifest, raw.MediaType)
	}
	if m.MediaType == "" {
		m.MediaType = map[Kind]string{KindIndex: MediaTypeOCIIndex, KindImage: MediaTypeOCIManifest}[m.Kind]
	}
	var err error
	if m.Children, err = refs("manifests", raw.Manifests); err != nil {
		return nil, err
	}
	if raw.Config != nil {
		if m.Blobs, err = refs("config", []descriptor{*raw.Config}); err != nil {
			return nil, err
		}
	}
	for _, part := range []struct {
		name string
		ds   []descriptor
	}{{"layers", raw.Layers}, {"blobs", raw.Blobs}} {
		rs, err := refs(part.name, part.ds)
		if err != nil {
			return nil, err
		}
		m.Blobs = append(m.Blobs, rs...)
	}
	if raw.Subject != nil {
		s, err := refs("subject", []descriptor{*raw.Subject})
		if err != nil {
			return nil, err
		}
		m.Subject = &s[0].Digest
	}
	return m, nil
}

func refs(field string, ds []descriptor) ([]Ref, error) {
	out := make([]Ref, 0, len(ds))
	for i, d := range ds {
		dg, err := storage.ParseDigest(d.Digest)
		if err != nil {
			return nil, fmt.Errorf("%w: %s[%d]: %w", storage.ErrBadManifest, field, i, err)
		}
		out = append(out, Ref{Digest: dg, Size: d.Size})
	}
	return out, nil
}

func oneOf(s string, set ...string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}
