package scan

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/regprune/regprune/storage"
)

// DecodeRefCache decodes the cache's file. Anything but a whole file of
// this version is an error wrapping ErrBadRefCache.
func DecodeRefCache(b []byte) (map[storage.Digest]RefEntry, error) {
	old, err := parseRefCache(b)
	if err != nil {
		return nil, err
	}
	out := make(map[storage.Digest]RefEntry, old.len())
	for k := range old.len() {
		out[old.digestAt(k)] = old.entry(k)
	}
	return out, nil
}

// parseRefCache checks the cache's file whole (every entry decoded once)
// and returns it as loaded refs. Anything but a whole file of this
// version is an error wrapping ErrBadRefCache.
func parseRefCache(b []byte) (*loadedRefs, error) {
	body, err := refCacheBody(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadRefCache, err)
	}
	old, err := parseRefBody(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadRefCache, err)
	}
	return old, nil
}

// refCacheBody checks the header and the body's length and checksum, and
// returns the body uncompressed.
func refCacheBody(b []byte) ([]byte, error) {
	nl := bytes.IndexByte(b[:min(len(b), refHeaderLimit)], '\n')
	if nl < 0 {
		return nil, errors.New("no header")
	}
	f := strings.Fields(string(b[:nl]))
	if len(f) != 5 || f[0]+" "+f[1] != refCacheMagic {
		return nil, errors.New("not a manifest reference cache")
	}
	if f[2] != strconv.Itoa(RefCacheVersion) {
		return nil, fmt.Errorf("version %q, this regprune reads %d", f[2], RefCacheVersion)
	}
	n, err := strconv.ParseInt(f[3], 10, 64)
	z := b[nl+1:]
	if err != nil || n != int64(len(z)) {
		return nil, fmt.Errorf("body of %d bytes, the header says %s", len(z), f[3])
	}
	sum := sha256.Sum256(z)
	if f[4] != "sha256:"+hex.EncodeToString(sum[:]) {
		return nil, errors.New("checksum does not match")
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, err
	}
	// Digests do not compress: a body much larger than its gzip is no
	// cache of ours (a bomb), and is not inflated past the bound.
	limit := min(int64(refCacheBodyLimit), 8*int64(len(z))+1<<20)
	body, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("body inflates past %d bytes", limit)
	}
	return body, nil
}

// refReader reads the body, failing once, on the first bad field.
type refReader struct {
	b   []byte
	err error
}

func (r *refReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%s at %d bytes from the end", what, len(r.b))
	}
}

// uvarint reads a number no larger than bound.
func (r *refReader) uvarint(bound uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || v > bound {
		r.fail("bad number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *refReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("bad number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *refReader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.b) {
		r.fail("cut short")
		return nil
	}
	b := r.b[:n]
	r.b = r.b[n:]
	return b
}

func (r *refReader) byte() byte {
	b := r.bytes(1)
	if b == nil {
		return 0
	}
	return b[0]
}

func parseRefBody(body []byte) (*loadedRefs, error) {
	r := &refReader{b: body}
	table := make([]storage.Digest, r.uvarint(uint64(len(body)/32)))
	for i := range table {
		if b := r.bytes(32); b != nil {
			table[i] = storage.Digest(b)
		}
	}
	media := make([]string, r.uvarint(uint64(len(r.b))))
	for i := range media {
		media[i] = string(r.bytes(int(r.uvarint(maxMediaType))))
	}
	n := r.uvarint(uint64(len(r.b)))
	old := &loadedRefs{table: table, media: media, entries: r.b, offs: make([]uint32, 0, min(n, uint64(len(r.b)/8)))}
	if len(r.b) > math.MaxUint32 {
		r.fail("entries too long")
	}
	var prev storage.Digest
	for i := range n {
		if r.err != nil {
			break
		}
		off := uint32(len(old.entries) - len(r.b))
		d := r.digest(sliceTable(table))
		if i > 0 && d.Compare(prev) <= 0 {
			r.fail("entries out of order")
		}
		prev = d
		r.entry(sliceTable(table), media)
		old.offs = append(old.offs, off)
	}
	if r.err == nil && len(r.b) > 0 {
		r.fail("trailing bytes")
	}
	if r.err != nil {
		return nil, r.err
	}
	return old, nil
}

// digestTable is a table entries number digests in: its length, and the
// digest numbered i < length.
type digestTable struct {
	n  uint64
	at func(uint64) storage.Digest
}

func sliceTable(t []storage.Digest) digestTable {
	return digestTable{uint64(len(t)), func(i uint64) storage.Digest { return t[i] }}
}

// digest reads a digest's number in table.
func (r *refReader) digest(table digestTable) storage.Digest {
	if table.n == 0 {
		r.fail("no digests")
		return storage.Digest{}
	}
	i := r.uvarint(table.n - 1)
	if r.err != nil {
		return storage.Digest{}
	}
	return table.at(i)
}

func (r *refReader) entry(table digestTable, media []string) RefEntry {
	var e RefEntry
	e.Stamp.Size = r.varint()
	switch r.byte() {
	case 0:
	case 1:
		e.Stamp.Version = "e" + hex.EncodeToString(r.bytes(16))
	case 2:
		e.Stamp.Version = "e" + string(r.bytes(int(r.uvarint(uint64(len(r.b))))))
	case 3:
		e.Stamp.Version = "t" + strconv.FormatInt(r.varint(), 10)
	default:
		r.fail("bad stamp")
	}
	m := &Manifest{}
	if len(media) == 0 {
		r.fail("no media types")
		return e
	}
	m.MediaType = media[r.uvarint(uint64(len(media)-1))]
	kind := int(r.byte())
	if kind == 0 || kind >= len(kindCodes) {
		r.fail("bad kind")
		return e
	}
	m.Kind = kindCodes[kind]
	ref := func() storage.Digest { return r.digest(table) }
	for _, refs := range []*[]Ref{&m.Children, &m.Blobs} {
		n := r.uvarint(uint64(len(r.b) / 2))
		if n > 0 {
			*refs = make([]Ref, n)
		}
		for i := range *refs {
			(*refs)[i] = Ref{Digest: ref(), Size: r.varint()}
		}
	}
	switch r.byte() {
	case 0:
	case 1:
		s := ref()
		m.Subject = &s
	default:
		r.fail("bad subject")
	}
	e.Manifest = m
	return e
}
