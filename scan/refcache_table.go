package scan

import (
	"encoding/binary"
	"encoding/hex"
	"slices"
	"sort"
	"strconv"

	"github.com/regprune/regprune/storage"
)

// loadedRefs is the cache as loaded, held as its file holds it: the digest
// table, the media types, and the entries still encoded, with where each
// begins (in digest order). An entry is decoded when it is asked for, so
// the loaded cache costs about what its file costs uncompressed, where
// decoded manifests cost several times that.
type loadedRefs struct {
	table   []storage.Digest
	media   []string
	entries []byte
	offs    []uint32
	// listed holds, per entry, the stamp the blob listing gave of its
	// blob (object storage), written once each by Listed.
	listed []packedStamp
}

func (l *loadedRefs) len() int {
	if l == nil {
		return 0
	}
	return len(l.offs)
}

// digestAt is the digest of entry k.
func (l *loadedRefs) digestAt(k int) storage.Digest {
	i, _ := binary.Uvarint(l.entries[l.offs[k]:]) // checked by parseRefBody
	return l.table[i]
}

// entry decodes entry k (checked whole by parseRefBody).
func (l *loadedRefs) entry(k int) RefEntry {
	r := &refReader{b: l.entries[l.offs[k]:]}
	r.uvarint(uint64(len(l.table)))
	return r.entry(sliceTable(l.table), l.media)
}

// find is the entry of d, or -1.
func (l *loadedRefs) find(d storage.Digest) int {
	n := l.len()
	k := sort.Search(n, func(k int) bool { return l.digestAt(k).Compare(d) >= 0 })
	if k < n && l.digestAt(k) == d {
		return k
	}
	return -1
}

// packedStamp is a storage.BlobStamp in 32 bytes: its size and an MD5-form
// ETag or a modification time held as bytes, another form in text.
type packedStamp struct {
	size int64
	v    [16]byte
	form uint8 // 0 unknown, 1 ETag of 32 hex digits, 2 time (v[:8]), 3 text
	text string
}

func packStamp(s storage.BlobStamp) packedStamp {
	p := packedStamp{size: s.Size}
	v := s.Version
	switch {
	case v == "":
	case v[0] == 'e' && isMD5ETag(v[1:]):
		p.form = 1
		p.v, _ = storage.MD5ETag(v[1:])
	case v[0] == 't':
		if ns, err := strconv.ParseInt(v[1:], 10, 64); err == nil && strconv.FormatInt(ns, 10) == v[1:] {
			p.form = 2
			binary.LittleEndian.PutUint64(p.v[:8], uint64(ns))
			break
		}
		p.form, p.text = 3, v
	default:
		p.form, p.text = 3, v
	}
	return p
}

func (p packedStamp) stamp() storage.BlobStamp {
	s := storage.BlobStamp{Size: p.size}
	switch p.form {
	case 1:
		s.Version = "e" + hex.EncodeToString(p.v[:])
	case 2:
		s.Version = "t" + strconv.FormatInt(int64(binary.LittleEndian.Uint64(p.v[:8])), 10)
	case 3:
		s.Version = p.text
	}
	return s
}

// freshRefs is what a run read: entries encoded as the file encodes them,
// with the encoder (and its table) that Save goes on with, so that they
// are written as they are.
type freshRefs struct {
	enc  *refEncoder
	body []byte
	offs []uint32
}

// note appends d's entry.
func (f *freshRefs) note(d storage.Digest, e RefEntry) {
	f.offs = append(f.offs, uint32(len(f.body)))
	f.body = f.enc.entry(f.body, d, e)
}

// digestAt is the digest of fresh entry k.
func (f *freshRefs) digestAt(k int) storage.Digest {
	i, _ := binary.Uvarint(f.body[f.offs[k]:])
	return f.enc.digestAt(i)
}

// entry decodes fresh entry k.
func (f *freshRefs) entry(k int) RefEntry {
	r := &refReader{b: f.body[f.offs[k]:]}
	table := digestTable{uint64(len(f.enc.base) + len(f.enc.extra)), f.enc.digestAt}
	r.digest(table)
	return r.entry(table, f.enc.mediaTable)
}

// sorted is the order of the fresh entries by digest, one per digest
// (the last noted: a manifest read in two repositories is noted twice).
func (f *freshRefs) sorted() []int {
	order := make([]int, len(f.offs))
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int { return f.digestAt(a).Compare(f.digestAt(b)) })
	out := order[:0]
	for i, k := range order {
		if i+1 < len(order) && f.digestAt(order[i+1]) == f.digestAt(k) {
			continue
		}
		out = append(out, k)
	}
	return out
}
