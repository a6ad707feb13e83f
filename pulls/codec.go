package pulls

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"

	"github.com/regprune/regprune/storage"
)

// The encoded history is gzip-compressed text, one record a line, every
// list sorted, so that the same history always encodes to the same bytes:
//
//	regprune pull history 1
//	coverage <start> <end>          (Unix seconds, merged ranges, ascending)
//	repository <name>               (ascending)
//	tag <tag> <time>                (the repository's tags, ascending)
//	digest sha256:<hex> <time>      (then its digests, ascending)
//	sha256 <hex>                    (of every byte above)
//
// Text keeps it readable with zcat; gzip takes the repeated words and time
// prefixes away (a digest, random, stays about 33 bytes); the sha256 line
// proves the whole was written, beside gzip's own CRC. 1,000,000 tags, each
// pulled by tag and by digest, encode to 53 MB (BenchmarkHistoryMillion):
// gzip's fastest level, 7% larger than its default and 5 times faster.
const (
	header       = "regprune pull history"
	version      = 1
	gzipLevel    = gzip.BestSpeed
	maxLineBytes = 512
)

// Encode writes the history in its file format. It refuses (storage.ErrBadHistory)
// a history holding what Decode would refuse: an invalid name or tag, or a
// time outside 1970-01-01T00:00:01Z to 9999-12-31T23:59:59Z.
func (h *History) Encode(w io.Writer) error {
	zw, err := gzip.NewWriterLevel(w, gzipLevel)
	if err != nil {
		return err
	}
	sum := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(sum, zw), 64<<10)
	if err := h.encodeBody(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(zw, "sha256 %x\n", sum.Sum(nil)); err != nil {
		return err
	}
	return zw.Close()
}

func (h *History) encodeBody(bw *bufio.Writer) error {
	fmt.Fprintf(bw, "%s %d\n", header, version)
	var line []byte
	var err error
	for _, s := range h.coverage {
		if !validTime(s.start) || !validTime(s.end) {
			return fmt.Errorf("%w: coverage %d-%d out of range", storage.ErrBadHistory, s.start, s.end)
		}
		line = append(line[:0], "coverage "...)
		line = strconv.AppendInt(line, s.start, 10)
		line = append(line, ' ')
		line = strconv.AppendInt(line, s.end, 10)
		bw.Write(append(line, '\n'))
	}
	for _, name := range h.Repositories() {
		r := h.repos[name]
		if len(r.tags) == 0 && len(r.digests) == 0 {
			continue
		}
		if err := storage.ValidRepository(name); err != nil {
			return fmt.Errorf("%w: %w", storage.ErrBadHistory, err)
		}
		bw.WriteString("repository " + name + "\n")
		for _, tag := range sortedTags(r) {
			if err := storage.ValidTag(tag); err != nil {
				return fmt.Errorf("%w: %s: %w", storage.ErrBadHistory, name, err)
			}
			if line, err = appendPull(line[:0], "tag ", tag, r.tags[tag]); err != nil {
				return fmt.Errorf("%s:%s: %w", name, tag, err)
			}
			bw.Write(line)
		}
		for _, d := range sortedDigests(r) {
			if line, err = appendPull(line[:0], "digest sha256:", d.Hex(), r.digests[d]); err != nil {
				return fmt.Errorf("%s@%s: %w", name, d, err)
			}
			bw.Write(line)
		}
	}
	return nil
}

func appendPull(line []byte, kind, what string, t int64) ([]byte, error) {
	if !validTime(t) {
		return nil, fmt.Errorf("%w: time %d out of range", storage.ErrBadHistory, t)
	}
	line = append(line, kind...)
	line = append(line, what...)
	line = append(line, ' ')
	line = strconv.AppendInt(line, t, 10)
	return append(line, '\n'), nil
}

func validTime(t int64) bool { return t > 0 && t <= maxUnix }

// Decode reads a history Encode wrote, of at most limit bytes
// uncompressed. Anything else is an error wrapping storage.ErrBadHistory that
// names the line: not gzip, another version, a line out of order or
// malformed, an invalid name, a checksum that does not match, a truncated
// stream (no checksum line), bytes after it, or more than limit bytes.
func Decode(r io.Reader, limit int64) (*History, error) {
	br := bufio.NewReader(r)
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", storage.ErrBadHistory, err)
	}
	zr.Multistream(false)
	d := decoder{
		in:  bufio.NewReaderSize(&limitedReader{r: zr, left: limit}, maxLineBytes),
		sum: sha256.New(),
		h:   New(),
	}
	err = d.body()
	if err == nil {
		// The rest of the stream must be empty; reading to its end checks
		// gzip's CRC and length.
		switch _, err = d.in.ReadByte(); {
		case err == io.EOF:
			err = nil
		case err == nil:
			err = errors.New("data after the checksum line")
		}
	}
	switch {
	case errors.Is(err, errTooLarge):
		return nil, fmt.Errorf("%w: larger than %d bytes uncompressed", storage.ErrBadHistory, limit)
	case err != nil:
		return nil, fmt.Errorf("%w: line %d: %w", storage.ErrBadHistory, d.line, err)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the compressed stream", storage.ErrBadHistory)
	}
	return d.h, nil
}

// limitedReader fails, rather than ending, once more than left bytes are
// read: a history larger than the limit is refused, not cut short.
type limitedReader struct {
	r    io.Reader
	left int64
}

var errTooLarge = errors.New("larger than the limit")

func (l *limitedReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, errTooLarge
	}
	return n, err
}

// decoder reads the lines of an encoded history.
type decoder struct {
	in   *bufio.Reader
	sum  hash.Hash
	h    *History
	line int
	next []byte // the line read ahead, without its newline; nil at the end
}

// checksum is the sha256 of the lines read so far.
func (d *decoder) checksum() string { return hex.EncodeToString(d.sum.Sum(nil)) }
