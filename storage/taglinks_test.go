package storage

import (
	"context"
	"crypto/md5" //nolint:gosec // S3's ETag
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/minio"
)

func etagOf(content string) string {
	sum := md5.Sum([]byte(content)) //nolint:gosec // S3's ETag
	return hex.EncodeToString(sum[:])
}

func TestTagLinksKnown(t *testing.T) {
	a, b, c := digestOf("a"), digestOf("b"), digestOf("c")
	link := func(d Digest) TagLinks {
		return TagLinks{Exists: true, Size: int64(LinkSize), ETag: etagOf(d.String()), History: []Digest{a, b}}
	}
	cases := []struct {
		name  string
		links TagLinks
		want  Digest
		known bool
	}{
		{"one candidate", link(b), b, true},
		{"upper-case ETag", func() TagLinks { l := link(a); l.ETag = strings.ToUpper(l.ETag); return l }(), a, true},
		{"repeated candidate", func() TagLinks { l := link(a); l.History = []Digest{a, b, a}; return l }(), a, true},
		{"outside the history", link(c), Digest{}, false},
		{"no history", func() TagLinks { l := link(a); l.History = nil; return l }(), Digest{}, false},
		{"missing", func() TagLinks { l := link(a); l.Exists = false; return l }(), Digest{}, false},
		{"a newline more", func() TagLinks { l := link(a); l.Size++; l.ETag = etagOf(a.String() + "\n"); return l }(), Digest{}, false},
		{"same ETag, other size", func() TagLinks { l := link(a); l.Size++; return l }(), Digest{}, false},
		{"multipart ETag", func() TagLinks { l := link(a); l.ETag += "-1"; return l }(), Digest{}, false},
		{"KMS ETag", func() TagLinks { l := link(a); l.ETag = etagOf("kms"); return l }(), Digest{}, false},
		{"not hex", func() TagLinks { l := link(a); l.ETag = strings.Repeat("z", 32); return l }(), Digest{}, false},
		{"empty", TagLinks{}, Digest{}, false},
	}
	for _, tc := range cases {
		d, ok := tc.links.Known()
		if ok != tc.known || d != tc.want {
			t.Errorf("%s: %s, %v; want %s, %v", tc.name, d, ok, tc.want, tc.known)
		}
	}
}

// The listings that give stamps and links (ListBlobs, ListTagLinks)
// name what the plain listings name, on
// a tree with strays and odd entries, and say of each what its keys say.
func testS3StampedListings(t *testing.T, srv *minio.Server) {
	ctx := context.Background()
	raw, st := openS3Root(t, srv)
	b1, b2 := digestOf("b1"), digestOf("b2")
	put(t, raw, BlobDataPath(b1), "manifest one")
	put(t, raw, BlobDataPath(b2), "two")
	pre := b1.Hex()[:2]
	put(t, raw, BlobPrefixPath(pre)+"/"+b1.Hex()+"-1/data", "a name sorting before b1's keys")
	put(t, raw, BlobPrefixPath(pre)+"/stray", "a file")
	var stamps []string
	var mu sync.Mutex
	l, err := st.ListBlobs(ctx, 4, func(d Digest, s BlobStamp) {
		mu.Lock()
		defer mu.Unlock()
		stamps = append(stamps, fmt.Sprintf("%s %d %s", d.Hex(), s.Size, s.Version))
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l.Digests, sortedDigests(b1, b2)) || len(l.Stray) != 2 {
		t.Fatalf("ListBlobs %v, strays %q", l.Digests, l.Stray)
	}
	want := fmt.Sprintf("%s 12 e%s", b1.Hex(), etagOf("manifest one"))
	if len(stamps) != 2 || (stamps[0] != want && stamps[1] != want) {
		t.Errorf("stamps %v, want %s among two", stamps, want)
	}
	s, err := st.StatBlob(ctx, b1)
	if err != nil || s != (BlobStamp{12, "e" + etagOf("manifest one")}) {
		t.Errorf("StatBlob %+v, %v", s, err)
	}
	if b, rs, err := st.ReadManifestStamped(ctx, b1); err != nil || string(b) != "manifest one" || rs != s {
		t.Errorf("ReadManifestStamped %q %+v %v, want the listed stamp %+v", b, rs, err, s)
	}

	r1, r2, r3 := digestOf("r1"), digestOf("r2"), digestOf("r3")
	put(t, raw, TagCurrentLinkPath("app", "v1"), r1.String())
	put(t, raw, TagIndexLinkPath("app", "v1", r1), r1.String())
	put(t, raw, TagIndexLinkPath("app", "v1", r2), r2.String())
	put(t, raw, TagPath("app", "v1-rc")+"/index/x", "no current link")
	put(t, raw, TagCurrentLinkPath("app", "v2"), r3.String()+"\\n")
	tags, _ := st.ListTags(ctx, "app")
	links, ok, err := st.ListTagLinks(ctx, "app", tags)
	if err != nil || !ok || len(links) != len(tags) {
		t.Fatal(ok, err, tags, links)
	}
	for i, tag := range tags {
		d, known := links[i].Known()
		switch {
		case tag == "v1" && (!known || d != r1 || len(links[i].History) != 2 || time.Since(links[i].ModTime) > time.Hour):
			t.Errorf("v1: %+v", links[i])
		case tag != "v1" && known:
			t.Errorf("%s known as %s: %+v", tag, d, links[i])
		}
	}
}

// sortedDigests is ds in the order of their hex forms.
func sortedDigests(ds ...Digest) []Digest {
	slices.SortFunc(ds, Digest.Compare)
	return ds
}
