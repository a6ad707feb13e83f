package scan

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/regprune/regprune/storage"
)

// FuzzParseManifest: ParseManifest never panics; every failure wraps
// storage.ErrBadManifest with a message saying what is wrong; every success
// is a consistent Manifest, the same on a second read. Seeds (real
// manifests from testdata/sample and broken ones) are in
// testdata/fuzz/FuzzParseManifest.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"digest":"sha256:` + strings.Repeat("0", 64) + `","size":1},"layers":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest(b)
		if err != nil {
			if !errors.Is(err, storage.ErrBadManifest) {
				t.Fatalf("error %q does not wrap ErrBadManifest", err)
			}
			if len(err.Error()) <= len(storage.ErrBadManifest.Error())+2 {
				t.Fatalf("error %q says nothing about what is wrong", err)
			}
			return
		}
		checkManifest(t, m)
		again, err := ParseManifest(b)
		if err != nil || !reflect.DeepEqual(m, again) {
			t.Fatalf("second read differs: %+v, %v; first %+v", again, err, m)
		}
	})
}

func checkManifest(t *testing.T, m *Manifest) {
	t.Helper()
	if m.MediaType == "" {
		t.Fatalf("no media type: %+v", m)
	}
	switch m.Kind {
	case KindIndex:
		if len(m.Blobs) != 0 {
			t.Fatalf("index with blobs: %+v", m)
		}
	case KindImage, KindArtifact:
	case KindSchema1:
		if len(m.Children) != 0 || len(m.Blobs) == 0 || m.Subject != nil {
			t.Fatalf("schema1 with children, subject or no layers: %+v", m)
		}
	default:
		t.Fatalf("unknown kind %q", m.Kind)
	}
	for _, r := range append(append([]Ref(nil), m.Children...), m.Blobs...) {
		if d, err := storage.ParseDigest(r.Digest.String()); err != nil || d != r.Digest {
			t.Fatalf("reference %v does not round-trip: %v", r.Digest, err)
		}
	}
}
