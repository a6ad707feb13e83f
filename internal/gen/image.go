package gen

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
)

// Media types, as the registry and clients write them.
const (
	mtDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mtDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	mtDockerConfig   = "application/vnd.docker.container.image.v1+json"
	mtDockerLayer    = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	mtOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	mtOCIIndex       = "application/vnd.oci.image.index.v1+json"
	mtOCIConfig      = "application/vnd.oci.image.config.v1+json"
	mtOCILayer       = "application/vnd.oci.image.layer.v1.tar+gzip"
)

// platforms an index's images are built for, in order.
var platforms = []platform{
	{OS: "linux", Architecture: "amd64"},
	{OS: "linux", Architecture: "arm64", Variant: "v8"},
	{OS: "linux", Architecture: "arm", Variant: "v7"},
	{OS: "linux", Architecture: "ppc64le"},
	{OS: "linux", Architecture: "s390x"},
	{OS: "linux", Architecture: "386"},
}

// digest is a sha256 digest held by value.
type digest [32]byte

func (d digest) hex() string    { return hex.EncodeToString(d[:]) }
func (d digest) String() string { return "sha256:" + d.hex() }

// blob is content with its digest.
type blob struct {
	digest digest
	data   []byte
}

func newBlob(b []byte) blob { return blob{digest: sha256.Sum256(b), data: b} }

// layer is a gzipped tar holding one file of random bytes; diffID is the
// digest of the uncompressed tar.
type layer struct {
	blob
	diffID digest
}

func newLayer(rng *rand.Rand, size int) (layer, error) {
	content := make([]byte, size)
	for i := range content {
		content[i] = byte(rng.UintN(256))
	}
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	hdr := &tar.Header{Name: "f", Mode: 0o644, Size: int64(size), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return layer{}, err
	}
	if _, err := tw.Write(content); err != nil {
		return layer{}, err
	}
	if err := tw.Close(); err != nil {
		return layer{}, err
	}
	var gz bytes.Buffer
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(&gz)
	if _, err := zw.Write(tb.Bytes()); err != nil {
		return layer{}, err
	}
	if err := zw.Close(); err != nil {
		return layer{}, err
	}
	return layer{blob: newBlob(gz.Bytes()), diffID: sha256.Sum256(tb.Bytes())}, nil
}

// gzipWriters are reused: a compressor's state is large to allocate.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // a valid level: no error
	return zw
}}

type platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Variant      string `json:"variant,omitempty"`
}

type descriptor struct {
	MediaType string    `json:"mediaType"`
	Size      int64     `json:"size"`
	Digest    string    `json:"digest"`
	Platform  *platform `json:"platform,omitempty"`
}

func describe(mt string, b blob) descriptor {
	return descriptor{MediaType: mt, Size: int64(len(b.data)), Digest: b.digest.String()}
}

type imageConfig struct {
	Architecture string         `json:"architecture"`
	OS           string         `json:"os"`
	Variant      string         `json:"variant,omitempty"`
	Config       map[string]any `json:"config"`
	RootFS       rootFS         `json:"rootfs"`
	History      []history      `json:"history"`
}

type rootFS struct {
	Type    string   `json:"type"`
	DiffIDs []string `json:"diff_ids"`
}

type history struct {
	CreatedBy string `json:"created_by"`
}

type imageManifest struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Config        descriptor   `json:"config"`
	Layers        []descriptor `json:"layers"`
}

type indexManifest struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Manifests     []descriptor `json:"manifests"`
}

// image is a built image: its manifest, config and layers.
type image struct {
	manifest blob
	config   blob
	layers   []layer
	platform platform
	oci      bool
}

// buildImage assembles an image from layers; label makes its config, and
// so its manifest, unique to the push that writes it.
func buildImage(layers []layer, p platform, oci bool, label string) (image, error) {
	cfg := imageConfig{
		Architecture: p.Architecture, OS: p.OS, Variant: p.Variant,
		Config: map[string]any{"Labels": map[string]string{"org.regprune.gen": label}},
		RootFS: rootFS{Type: "layers"},
	}
	for _, l := range layers {
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, l.diffID.String())
		cfg.History = append(cfg.History, history{CreatedBy: "regprune gen"})
	}
	cb, err := json.Marshal(cfg)
	if err != nil {
		return image{}, err
	}
	img := image{config: newBlob(cb), layers: layers, platform: p, oci: oci}
	m := imageManifest{SchemaVersion: 2, MediaType: mtDockerManifest, Config: describe(mtDockerConfig, img.config)}
	layerType := mtDockerLayer
	if oci {
		m.MediaType, m.Config.MediaType, layerType = mtOCIManifest, mtOCIConfig, mtOCILayer
	}
	for _, l := range layers {
		m.Layers = append(m.Layers, describe(layerType, l.blob))
	}
	mb, err := json.Marshal(m)
	if err != nil {
		return image{}, fmt.Errorf("manifest of %s: %w", label, err)
	}
	img.manifest = newBlob(mb)
	return img, nil
}

// buildIndex assembles a manifest list (Docker) or an OCI index of images.
func buildIndex(children []image, oci bool) (blob, error) {
	ix := indexManifest{SchemaVersion: 2, MediaType: mtDockerList}
	childType := mtDockerManifest
	if oci {
		ix.MediaType, childType = mtOCIIndex, mtOCIManifest
	}
	for _, c := range children {
		d := describe(childType, c.manifest)
		p := c.platform
		d.Platform = &p
		ix.Manifests = append(ix.Manifests, d)
	}
	b, err := json.Marshal(ix)
	if err != nil {
		return blob{}, err
	}
	return newBlob(b), nil
}
