package gc

import (
	"slices"

	"github.com/regprune/regprune/storage"
)

// blobStore is every digest in the blob store, sorted, with whether
// something that remains after the sweep keeps it (a live manifest, the
// config or a layer of one, a remaining layer link), and to which
// repository its removal is owed: 37 bytes a blob, where a map of digests
// and a map of owners' names took about 150. Lookups are a binary search
// within the digests that share the first byte. Not safe for concurrent
// writes; reads may run together once writing is done.
type blobStore struct {
	digests []storage.Digest
	kept    []bool
	first   [257]int32 // digests[first[b]:first[b+1]] start with byte b

	// owner attributes each blob to the repository whose removed objects
	// (revisions, layer links) referenced it, for the report of what is
	// freed where: 0 none, k+1 repository k (an index into the plan's
	// repository list), -1 several, listed in several.
	owner   []int32
	several map[int]([]int32)
}

// newBlobStore indexes ds, which it sorts in place and keeps.
func newBlobStore(ds []storage.Digest) *blobStore {
	slices.SortFunc(ds, storage.Digest.Compare)
	ds = slices.Compact(ds)
	s := &blobStore{digests: ds, kept: make([]bool, len(ds)), owner: make([]int32, len(ds)), several: map[int][]int32{}}
	i := 0
	for b := 0; b < 256; b++ {
		s.first[b] = int32(i)
		for i < len(ds) && int(ds[i][0]) == b {
			i++
		}
	}
	s.first[256] = int32(len(ds))
	return s
}

// index is d's position, or -1 when the blob store has no d.
func (s *blobStore) index(d storage.Digest) int {
	lo, hi := int(s.first[d[0]]), int(s.first[int(d[0])+1])
	i, ok := slices.BinarySearchFunc(s.digests[lo:hi], d, storage.Digest.Compare)
	if !ok {
		return -1
	}
	return lo + i
}

// keep marks d as kept; false when the blob store has no d.
func (s *blobStore) keep(d storage.Digest) bool {
	i := s.index(d)
	if i < 0 {
		return false
	}
	s.kept[i] = true
	return true
}

// isKept reports whether d is in the blob store and kept.
func (s *blobStore) isKept(d storage.Digest) bool {
	i := s.index(d)
	return i >= 0 && s.kept[i]
}

// attribute notes that repository repo's removed objects referenced d
// (nothing when the blob store has no d). The attributions of one
// repository come together, so a repeat is the last one noted.
func (s *blobStore) attribute(d storage.Digest, repo int32) {
	i := s.index(d)
	if i < 0 {
		return
	}
	switch o := s.owner[i]; {
	case o == 0:
		s.owner[i] = repo + 1
	case o == repo+1:
	case o > 0:
		s.owner[i] = -1
		s.several[i] = []int32{o - 1, repo}
	default:
		if rs := s.several[i]; rs[len(rs)-1] != repo {
			s.several[i] = append(rs, repo)
		}
	}
}

// ownersAt lists the repositories blob i is attributed to, in
// attribution order.
func (s *blobStore) ownersAt(i int) []int32 {
	switch {
	case s.owner[i] == 0:
		return nil
	case s.owner[i] > 0:
		return []int32{s.owner[i] - 1}
	default:
		return s.several[i]
	}
}

// unkept lists the indexes of the blobs nothing keeps, in order.
func (s *blobStore) unkept() []int32 {
	var out []int32
	for i := range s.digests {
		if !s.kept[i] {
			out = append(out, int32(i))
		}
	}
	return out
}

// isRemoved reports whether d is in the blob store and not kept: after
// planning, a blob the plan removes.
func (s *blobStore) isRemoved(d storage.Digest) bool {
	i := s.index(d)
	return i >= 0 && !s.kept[i]
}

// len is the number of blobs.
func (s *blobStore) len() int { return len(s.digests) }
