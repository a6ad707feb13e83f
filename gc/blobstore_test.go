package gc

import (
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/regprune/regprune/storage"
)

// blobStore answers as a map of digests would.
func TestBlobStore(t *testing.T) {
	t.Parallel()
	var in, absent []storage.Digest
	for i := range 3000 {
		d := storage.Digest(sha256.Sum256(fmt.Appendf(nil, "blob %d", i)))
		if i%3 == 0 {
			absent = append(absent, d)
			continue
		}
		in = append(in, d)
	}
	in = append(in, in[0], in[1]) // the listing never repeats a digest; the index copes anyway
	want := map[storage.Digest]bool{}
	for _, d := range in {
		want[d] = false
	}
	s := newBlobStore(append([]storage.Digest(nil), in...))
	if s.len() != len(want) {
		t.Fatalf("len %d, want %d", s.len(), len(want))
	}
	for i, d := range in {
		if i%2 == 0 {
			if !s.keep(d) {
				t.Fatalf("keep(%s) = false for a blob in the store", d)
			}
			want[d] = true
		}
	}
	for _, d := range absent {
		if s.index(d) >= 0 || s.isKept(d) || s.keep(d) {
			t.Fatalf("%s: not in the store, but has/isKept/keep says so", d)
		}
	}
	for d, kept := range want {
		if s.index(d) < 0 || s.isKept(d) != kept {
			t.Fatalf("%s: index %d isKept %v, want found, %v", d, s.index(d), s.isKept(d), kept)
		}
	}
	unkept := s.unkept()
	for i, k := range unkept {
		d := s.digests[k]
		if want[d] || s.isRemoved(d) != !want[d] {
			t.Fatalf("unkept lists kept %s", d)
		}
		if i > 0 && unkept[i-1] >= k {
			t.Fatalf("unkept not sorted at %d", i)
		}
	}
	n := 0
	for _, kept := range want {
		if !kept {
			n++
		}
	}
	if len(unkept) != n {
		t.Fatalf("unkept has %d, want %d", len(unkept), n)
	}
	if e := newBlobStore(nil); e.index(in[0]) >= 0 || e.keep(in[0]) || len(e.unkept()) != 0 {
		t.Fatal("an empty store holds something")
	}
}

// Attributions: none, one repository (repeats folded), several in order.
func TestBlobStoreAttribution(t *testing.T) {
	t.Parallel()
	var ds []storage.Digest
	for i := range 4 {
		ds = append(ds, storage.Digest(sha256.Sum256(fmt.Appendf(nil, "%d", i))))
	}
	s := newBlobStore(append([]storage.Digest(nil), ds[:3]...))
	s.attribute(ds[1], 5)
	s.attribute(ds[1], 5)
	s.attribute(ds[2], 1)
	s.attribute(ds[2], 1)
	s.attribute(ds[2], 0)
	s.attribute(ds[2], 0)
	s.attribute(ds[2], 7)
	s.attribute(ds[3], 2) // not in the store: ignored
	if s.index(ds[3]) >= 0 {
		t.Fatalf("%s is in the store", ds[3])
	}
	for d, want := range map[storage.Digest]string{ds[0]: "[]", ds[1]: "[5]", ds[2]: "[1 0 7]"} {
		if got := fmt.Sprint(s.ownersAt(s.index(d))); got != want {
			t.Errorf("owners(%s) = %s, want %s", d, got, want)
		}
	}
}
