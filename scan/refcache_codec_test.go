package scan

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/regprune/regprune/storage"
)

func testDigest(s string) storage.Digest { return storage.Digest(sha256.Sum256([]byte(s))) }

// refSamples are parsed manifests of every kind, images sharing layers.
func refSamples(t testing.TB, images int) map[storage.Digest]RefEntry {
	t.Helper()
	desc := func(mt, s string, size int) string {
		return fmt.Sprintf(`{"mediaType":%q,"digest":%q,"size":%d}`, mt, testDigest(s).String(), size)
	}
	var docs []string
	for i := range images {
		docs = append(docs, fmt.Sprintf(`{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s,%s,%s]}`, MediaTypeOCIManifest,
			desc("application/vnd.oci.image.config.v1+json", fmt.Sprint("config", i), 1234),
			desc("application/vnd.oci.image.layer.v1.tar+gzip", "base", 30_000_000),
			desc("application/vnd.oci.image.layer.v1.tar+gzip", fmt.Sprint("mid", i%10), 2_000_000),
			desc("application/vnd.oci.image.layer.v1.tar+gzip", fmt.Sprint("top", i), 4096)))
	}
	docs = append(docs,
		fmt.Sprintf(`{"schemaVersion":2,"mediaType":"%s","manifests":[%s,%s]}`, MediaTypeOCIIndex,
			desc(MediaTypeOCIManifest, "child1", 500), desc(MediaTypeOCIManifest, "child2", 501)),
		fmt.Sprintf(`{"schemaVersion":2,"mediaType":"%s","manifests":[]}`, MediaTypeDockerList),
		fmt.Sprintf(`{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[],"subject":%s}`, MediaTypeOCIManifest,
			desc("application/vnd.dev.cosign.artifact.sig.v1+json", "sigconfig", 2), desc(MediaTypeOCIManifest, "subject", 700)),
		fmt.Sprintf(`{"schemaVersion":1,"fsLayers":[{"blobSum":%q},{"blobSum":%q}]}`, testDigest("l1").String(), testDigest("l2").String()),
		fmt.Sprintf(`{"schemaVersion":2,"mediaType":"%s","artifactType":"x","blobs":[%s]}`, MediaTypeOCIArtifact, desc("x", "ablob", 3)),
	)
	out := map[storage.Digest]RefEntry{}
	for i, doc := range docs {
		m, err := ParseManifest([]byte(doc))
		if err != nil {
			t.Fatalf("sample %d: %v", i, err)
		}
		stamp := storage.BlobStamp{Size: int64(len(doc)), Version: fmt.Sprintf("e%x", sha256.Sum224([]byte(doc)))[:33]}
		switch i % 3 {
		case 1:
			stamp.Version = fmt.Sprintf("t%d", 1_700_000_000_000_000_000+i)
		case 2:
			stamp.Version = fmt.Sprintf("e%x-%d", sha256.Sum256([]byte(doc)), i) // a multipart or KMS ETag
		}
		out[sha256.Sum256([]byte(doc))] = RefEntry{Stamp: stamp, Manifest: m}
	}
	return out
}

// sameRefs compares entries, an empty list equal to none.
func sameRefs(t *testing.T, got, want map[storage.Digest]RefEntry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d", len(got), len(want))
	}
	for d, w := range want {
		g, ok := got[d]
		if !ok {
			t.Fatalf("entry %s missing", d)
		}
		if g.Stamp != w.Stamp {
			t.Fatalf("%s: stamp %+v, want %+v", d, g.Stamp, w.Stamp)
		}
		if a, b := fmt.Sprintf("%+v", norm(g.Manifest)), fmt.Sprintf("%+v", norm(w.Manifest)); a != b {
			t.Fatalf("%s: manifest\n%s\nwant\n%s", d, a, b)
		}
	}
}

func norm(m *Manifest) string {
	s := fmt.Sprintf("%s %s %v %v", m.MediaType, m.Kind, m.Children, m.Blobs)
	if m.Subject != nil {
		s += " subject " + m.Subject.String()
	}
	return strings.ReplaceAll(s, "[]", "<none>")
}

func TestRefCacheRoundTrip(t *testing.T) {
	want := refSamples(t, 20)
	b := EncodeRefCache(want)
	got, err := DecodeRefCache(b)
	if err != nil {
		t.Fatal(err)
	}
	sameRefs(t, got, want)
	if again := EncodeRefCache(got); !bytes.Equal(again, b) {
		t.Fatal("a decoded cache encodes differently")
	}
	empty, err := DecodeRefCache(EncodeRefCache(nil))
	if err != nil || len(empty) != 0 {
		t.Fatalf("empty cache: %v, %d entries", err, len(empty))
	}
}

// TestRefCacheRefused: a cache cut short, changed anywhere, or of another
// version is refused whole.
func TestRefCacheRefused(t *testing.T) {
	b := EncodeRefCache(refSamples(t, 5))
	cases := map[string][]byte{
		"empty":         {},
		"header only":   b[:bytes.IndexByte(b, '\n')+1],
		"other version": bytes.Replace(b, []byte(refCacheMagic+" 1 "), []byte(refCacheMagic+" 2 "), 1),
		"other magic":   bytes.Replace(b, []byte("manifest-refs"), []byte("manifest-refz"), 1),
	}
	for _, n := range []int{1, 10, len(b) / 2, len(b) - 1} {
		cases[fmt.Sprintf("truncated to %d", n)] = b[:n]
	}
	for _, i := range []int{bytes.IndexByte(b, '\n') + 5, len(b) / 2, len(b) - 1} {
		c := bytes.Clone(b)
		c[i] ^= 0x20
		cases[fmt.Sprintf("byte %d changed", i)] = c
	}
	cases["appended"] = append(bytes.Clone(b), 0)
	for name, c := range cases {
		if _, err := DecodeRefCache(c); !errors.Is(err, ErrBadRefCache) {
			t.Errorf("%s: %v, want ErrBadRefCache", name, err)
		}
	}
}

// TestRefCacheSize measures the file's size per entry: images with a
// config, a base layer all share, one of ten middle layers and one of
// their own.
func TestRefCacheSize(t *testing.T) {
	const n = 10_000
	b := EncodeRefCache(refSamples(t, n))
	per := float64(len(b)) / n
	t.Logf("%d entries: %d bytes, %.1f bytes an entry", n+5, len(b), per)
	if per > 140 { // 96 bytes are the three new digests (entry, config, own layer), random: they do not compress
		t.Fatalf("%.1f bytes an entry", per)
	}
}

// FuzzDecodeRefCache: DecodeRefCache never panics; what it refuses wraps
// ErrBadRefCache; what it accepts encodes to a file that decodes to the
// same entries.
func FuzzDecodeRefCache(f *testing.F) {
	f.Add(EncodeRefCache(refSamples(f, 3)))
	f.Add(EncodeRefCache(nil))
	f.Add([]byte(refCacheMagic + " 1 0 sha256:" + strings.Repeat("0", 64) + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := DecodeRefCache(b)
		if err != nil {
			if !errors.Is(err, ErrBadRefCache) {
				t.Fatalf("error %v does not wrap ErrBadRefCache", err)
			}
			return
		}
		again, err := DecodeRefCache(EncodeRefCache(got))
		if err != nil {
			t.Fatalf("re-encoded: %v", err)
		}
		sameRefs(t, again, got)
	})
}

// FuzzDecodeRefCacheBody: the body's decoder (past the checksum, which
// random bytes never pass) never panics and accepts only what re-encodes.
func FuzzDecodeRefCacheBody(f *testing.F) {
	b := EncodeRefCache(refSamples(f, 3))
	body, err := refCacheBody(b)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(body)
	f.Fuzz(func(t *testing.T, body []byte) {
		old, err := parseRefBody(body)
		if err != nil {
			return
		}
		got := make(map[storage.Digest]RefEntry, old.len())
		for k := range old.len() {
			got[old.digestAt(k)] = old.entry(k)
		}
		for d, e := range got {
			if e.Manifest == nil || e.Manifest.Kind == "" {
				t.Fatalf("%s: entry without a manifest kind: %+v", d, e)
			}
		}
		again, err := DecodeRefCache(EncodeRefCache(got))
		if err != nil {
			t.Fatalf("re-encoded: %v", err)
		}
		sameRefs(t, again, got)
	})
}

// A body that inflates far past its compressed size (a gzip bomb) is
// refused without being inflated whole.
func TestRefCacheBomb(t *testing.T) {
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	_, _ = zw.Write(make([]byte, 64<<20))
	_ = zw.Close()
	sum := sha256.Sum256(z.Bytes())
	b := fmt.Appendf(nil, "%s %d %d sha256:%x\n", refCacheMagic, RefCacheVersion, z.Len(), sum)
	b = append(b, z.Bytes()...)
	if _, err := DecodeRefCache(b); !errors.Is(err, ErrBadRefCache) || !strings.Contains(err.Error(), "inflates") {
		t.Fatalf("a gzip bomb: %v", err)
	}
}
