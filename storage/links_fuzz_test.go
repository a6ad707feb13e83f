package storage

import (
	"errors"
	"strings"
	"testing"
)

// FuzzLeafListing: whatever keys a listing of a directory of link leaves
// returns (object storage: "<hex>/link", "<hex>/other", "<hex>",
// "<hex>/link/x", any sizes), every leaf name is sorted into exactly one
// of linked, debris and malformed, or the listing fails with ErrBadDigest
// for a name that is no digest; a leaf is linked only with a "link" key of
// LinkSize bytes and nothing where its directory should be.
func FuzzLeafListing(f *testing.F) {
	h := digestOf("a").Hex()
	f.Add(h+"/link", int64(LinkSize), h+"/data", int64(3))
	f.Add(h+"/other", int64(1), h, int64(0))
	f.Add(h+"/link/x", int64(LinkSize), "", int64(0))
	f.Add("not-a-digest/link", int64(LinkSize), h+"/link", int64(72))
	f.Fuzz(func(t *testing.T, k1 string, s1 int64, k2 string, s2 int64) {
		var g leafListing
		keys := map[string]int64{}
		for _, k := range []struct {
			key  string
			size int64
		}{{k1, s1}, {k2, s2}} {
			if k.key == "" {
				continue
			}
			name, rest, _ := strings.Cut(k.key, "/")
			g.note(name, rest, k.size)
			keys[k.key] = k.size
		}
		l, err := g.links("/d")
		if err != nil {
			if !errors.Is(err, ErrBadDigest) {
				t.Fatalf("error %v wraps no ErrBadDigest", err)
			}
			return
		}
		if got := len(l.All()); got != len(g.names) {
			t.Fatalf("%d leaves sorted of %d names (%+v)", got, len(g.names), l)
		}
		for _, d := range l.Linked {
			size, ok := keys[d.Hex()+"/"+LinkFile]
			if !ok || size != int64(LinkSize) && size != 0 {
				t.Fatalf("%s linked without a link key of %d bytes (or one being written): %v", d, LinkSize, keys)
			}
			if _, obj := keys[d.Hex()]; obj {
				t.Fatalf("%s linked with an object where its directory should be", d)
			}
		}
		for _, b := range l.Malformed {
			if !errors.Is(b.Err, ErrBadLink) {
				t.Fatalf("malformed %s: %v wraps no ErrBadLink", b.Digest, b.Err)
			}
		}
	})
}
