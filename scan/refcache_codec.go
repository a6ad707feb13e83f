package scan

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/regprune/regprune/storage"
)

// The manifest reference cache's file is one header line and a gzip
// body:
//
//	regprune manifest-refs 1 <body length> sha256:<hex of the body>\n
//	<body: gzip of the entries, binary>
//
// The body is a digest table (every digest the entries name, 32 bytes
// each, once), a table of media types, and the entries, sorted by digest:
//
//	uvarint digest  varint size  stamp  uvarint media type  byte kind
//	uvarint #children {uvarint digest varint size}
//	uvarint #blobs    {uvarint digest varint size}
//	byte subject? [uvarint digest]
//
// where a digest is an index into the table and a stamp is a kind byte
// and its value: 0 none, 1 an MD5 ETag (16 bytes), 2 another ETag
// (uvarint length and bytes), 3 a modification time (varint Unix ns).
// The version says how to read the rest; the length and checksum prove
// the body whole: a file cut short, changed or of another version is
// refused whole (ErrBadRefCache), never used in part. An entry costs
// about 35 bytes plus 32 for each digest no other entry names (digests
// are random: gzip gains nothing on them): 130 bytes for an image with a
// config and one layer of its own and two shared (TestRefCacheSize).
const (
	refCacheMagic = "regprune manifest-refs"
	// RefCacheVersion is the version of the file this regprune writes.
	RefCacheVersion = 1
	// RefCacheFileLimit bounds the file read from storage.
	RefCacheFileLimit = 1 << 30
	refCacheBodyLimit = 2 << 30
	refHeaderLimit    = 128
	maxMediaType      = 255
)

// ErrBadRefCache: a manifest reference cache that cannot be trusted
// (another version, a checksum or length that does not match, content
// out of its grammar). It is ignored whole and rebuilt.
var ErrBadRefCache = errors.New("bad manifest reference cache")

// RefEntry is what the cache holds of one manifest: the stamp of the blob
// it was read from and what gc needs of it.
type RefEntry struct {
	Stamp    storage.BlobStamp
	Manifest *Manifest
}

var kindCodes = []Kind{"", KindImage, KindIndex, KindArtifact, KindSchema1}

// EncodeRefCache encodes entries as the cache's file.
func EncodeRefCache(entries map[storage.Digest]RefEntry) []byte {
	keys := make([]storage.Digest, 0, len(entries))
	for d := range entries {
		keys = append(keys, d)
	}
	slices.SortFunc(keys, storage.Digest.Compare)
	used := newUsedDigests(nil)
	for _, d := range keys {
		used.entry(d, entries[d])
	}
	e := newRefEncoder(used.table())
	var body []byte
	for _, d := range keys {
		body = e.entry(body, d, entries[d])
	}
	return e.file(body, len(keys))
}

// usedDigests gathers the digests entries name, for the table of a file
// that holds those only, sorted (so that the same entries always make the
// same file): those of the sorted base as bits, the others in a map.
type usedDigests struct {
	base  []storage.Digest
	bits  []uint64
	other map[storage.Digest]struct{}
}

func newUsedDigests(base []storage.Digest) *usedDigests {
	return &usedDigests{base: base, bits: make([]uint64, (len(base)+63)/64), other: map[storage.Digest]struct{}{}}
}

func (u *usedDigests) add(d storage.Digest) {
	if i, ok := slices.BinarySearchFunc(u.base, d, storage.Digest.Compare); ok {
		u.bits[i/64] |= 1 << (i % 64)
		return
	}
	u.other[d] = struct{}{}
}

// entry adds the digests of entry d.
func (u *usedDigests) entry(d storage.Digest, e RefEntry) {
	u.add(d)
	for _, refs := range [][]Ref{e.Manifest.Children, e.Manifest.Blobs} {
		for _, r := range refs {
			u.add(r.Digest)
		}
	}
	if e.Manifest.Subject != nil {
		u.add(*e.Manifest.Subject)
	}
}

// table is every digest added, sorted.
func (u *usedDigests) table() []storage.Digest {
	out := make([]storage.Digest, 0, len(u.other))
	for i, d := range u.base {
		if u.bits[i/64]&(1<<(i%64)) != 0 {
			out = append(out, d)
		}
	}
	for d := range u.other {
		out = append(out, d)
	}
	slices.SortFunc(out, storage.Digest.Compare)
	return out
}

// refEncoder encodes entries with one digest table: the sorted base
// (the blob listing, found by binary search, so that a run holds no map
// of every digest), then the others, numbered as they come.
type refEncoder struct {
	base       []storage.Digest // sorted
	digests    map[storage.Digest]uint64
	extra      []storage.Digest
	media      map[string]uint64
	mediaTable []string
}

func newRefEncoder(base []storage.Digest) *refEncoder {
	return &refEncoder{base: base, digests: map[storage.Digest]uint64{}, media: map[string]uint64{}}
}

// index is d's number in the table, added when it has none.
func (e *refEncoder) index(d storage.Digest) uint64 {
	if i, ok := slices.BinarySearchFunc(e.base, d, storage.Digest.Compare); ok {
		return uint64(i)
	}
	i, ok := e.digests[d]
	if !ok {
		i = uint64(len(e.base) + len(e.extra))
		e.digests[d] = i
		e.extra = append(e.extra, d)
	}
	return i
}

// digestAt is the digest numbered i.
func (e *refEncoder) digestAt(i uint64) storage.Digest {
	if i < uint64(len(e.base)) {
		return e.base[i]
	}
	return e.extra[i-uint64(len(e.base))]
}

func (e *refEncoder) digest(b []byte, d storage.Digest) []byte {
	return binary.AppendUvarint(b, e.index(d))
}

// file is the cache's file of the n entries encoded in body.
func (e *refEncoder) file(body []byte, n int) []byte {
	var head []byte
	head = binary.AppendUvarint(head, uint64(len(e.base)+len(e.extra)))
	for _, table := range [][]storage.Digest{e.base, e.extra} {
		for _, d := range table {
			head = append(head, d[:]...)
		}
	}
	head = binary.AppendUvarint(head, uint64(len(e.mediaTable)))
	for _, m := range e.mediaTable {
		head = binary.AppendUvarint(head, uint64(len(m)))
		head = append(head, m...)
	}
	head = binary.AppendUvarint(head, uint64(n))
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
	_, _ = zw.Write(head)
	_, _ = zw.Write(body)
	_ = zw.Close()
	sum := sha256.Sum256(z.Bytes())
	out := fmt.Appendf(nil, "%s %d %d sha256:%s\n", refCacheMagic, RefCacheVersion, z.Len(), hex.EncodeToString(sum[:]))
	return append(out, z.Bytes()...)
}

func (e *refEncoder) entry(b []byte, d storage.Digest, r RefEntry) []byte {
	m := r.Manifest
	b = e.digest(b, d)
	b = binary.AppendVarint(b, r.Stamp.Size)
	b = appendStamp(b, r.Stamp.Version)
	i, ok := e.media[m.MediaType]
	if !ok {
		i = uint64(len(e.mediaTable))
		e.media[m.MediaType] = i
		e.mediaTable = append(e.mediaTable, m.MediaType)
	}
	b = binary.AppendUvarint(b, i)
	b = append(b, byte(slices.Index(kindCodes, m.Kind)))
	for _, refs := range [][]Ref{m.Children, m.Blobs} {
		b = binary.AppendUvarint(b, uint64(len(refs)))
		for _, r := range refs {
			b = e.digest(b, r.Digest)
			b = binary.AppendVarint(b, r.Size)
		}
	}
	if m.Subject == nil {
		return append(b, 0)
	}
	return e.digest(append(b, 1), *m.Subject)
}

func appendStamp(b []byte, v string) []byte {
	switch {
	case v == "":
		return append(b, 0)
	case v[0] == 'e' && isMD5ETag(v[1:]):
		raw, _ := storage.MD5ETag(v[1:])
		return append(append(b, 1), raw[:]...)
	case v[0] == 'e':
		b = binary.AppendUvarint(append(b, 2), uint64(len(v)-1))
		return append(b, v[1:]...)
	default: // "t" and nanoseconds, as storage.StatBlob writes it
		ns, _ := strconv.ParseInt(v[1:], 10, 64)
		return binary.AppendVarint(append(b, 3), ns)
	}
}

// isMD5ETag reports whether etag is in the form storage.MD5ETag packs.
func isMD5ETag(etag string) bool {
	_, ok := storage.MD5ETag(etag)
	return ok
}
