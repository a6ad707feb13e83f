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
	"strings"

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
	e := &refEncoder{digests: map[storage.Digest]uint64{}, media: map[string]uint64{}}
	var body []byte
	for _, d := range keys {
		body = e.entry(body, d, entries[d])
	}
	var head []byte
	head = binary.AppendUvarint(head, uint64(len(e.table)))
	for _, d := range e.table {
		head = append(head, d[:]...)
	}
	head = binary.AppendUvarint(head, uint64(len(e.mediaTable)))
	for _, m := range e.mediaTable {
		head = binary.AppendUvarint(head, uint64(len(m)))
		head = append(head, m...)
	}
	head = binary.AppendUvarint(head, uint64(len(keys)))
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
	_, _ = zw.Write(head)
	_, _ = zw.Write(body)
	_ = zw.Close()
	sum := sha256.Sum256(z.Bytes())
	out := fmt.Appendf(nil, "%s %d %d sha256:%s\n", refCacheMagic, RefCacheVersion, z.Len(), hex.EncodeToString(sum[:]))
	return append(out, z.Bytes()...)
}

type refEncoder struct {
	digests    map[storage.Digest]uint64
	table      []storage.Digest
	media      map[string]uint64
	mediaTable []string
}

func (e *refEncoder) digest(b []byte, d storage.Digest) []byte {
	i, ok := e.digests[d]
	if !ok {
		i = uint64(len(e.table))
		e.digests[d] = i
		e.table = append(e.table, d)
	}
	return binary.AppendUvarint(b, i)
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
	case v[0] == 'e' && len(v) == 33 && isLowerHex(v[1:]):
		raw, _ := hex.DecodeString(v[1:])
		return append(append(b, 1), raw...)
	case v[0] == 'e':
		b = binary.AppendUvarint(append(b, 2), uint64(len(v)-1))
		return append(b, v[1:]...)
	default: // "t" and nanoseconds, as storage.StatBlob writes it
		ns, _ := strconv.ParseInt(v[1:], 10, 64)
		return binary.AppendVarint(append(b, 3), ns)
	}
}

func isLowerHex(s string) bool {
	return strings.Trim(s, "0123456789abcdef") == ""
}
