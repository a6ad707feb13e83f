package pulls

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/regprune/regprune/storage"
)

// Options tune Read; the zero value is what regprune uses.
type Options struct {
	// MaxLine is the longest line read, in bytes (default 1 MiB). A longer
	// line is skipped (TooLong) without being held in memory.
	MaxLine int
	// MaxSilence cuts a log's coverage where no line was written for
	// longer (default 1 hour). See Read.
	MaxSilence time.Duration
	// NotAfter, when set, skips lines timed later (FutureTime): a clock
	// gone wrong must not claim coverage of the future.
	NotAfter time.Time
}

const (
	defaultMaxLine    = 1 << 20
	defaultMaxSilence = time.Hour
	bufferSize        = 64 << 10
)

// pulled is the "reason" of a line that was a pull.
const pulled Reason = -1

// parser holds the state of one Read.
type parser struct {
	fn         func(Event)
	stats      Stats
	maxLine    int
	notAfter   int64
	cover      sourceSpans
	source     *spanSet // the spans of the current line's source
	sourceName string   // its kubectl --prefix
	names      nameCache
	scratch    []byte // decoded URIs
	long       []byte // a line longer than the read buffer, up to maxLine
	fields     fields
	doc        document
}

// Read reads one registry log, plain or gzip-compressed (told by its first
// bytes, not its name), and calls fn with each pull in the order of the
// log. Lines of any format below may be mixed in one log; every other line
// is skipped and counted by reason in the returned Stats. An error is
// returned only when r fails or its compression is broken or unsupported
// (storage.ErrBadLog); the Stats then cover what was read.
//
// A line may carry the prefix of kubectl logs --timestamps (an RFC 3339
// time and a space); the line's own time is the pull's, the prefix's when
// the line has none. Both count for coverage. Before it, the prefix of
// kubectl logs --prefix ("[pod/<pod>/<container>] ") names the replica
// the line comes from (see sources.go for what that does to coverage).
//
// The registry writes two lines for one request (its logrus line and its
// access-log line), and an nginx in front a third: each is passed on as a
// pull. The history keeps the last pull of each tag and digest, so a pull
// seen twice changes nothing there; Stats.Pulls counts lines, not client
// requests.
//
// Coverage: a log covers the time from its first to its last line (of any
// kind, read or skipped, as long as it has a time), but only where it did
// not fall silent for longer than MaxSilence: a log cut there may be two
// logs with a missing piece between them (rotated files concatenated, a
// restarted container), and a pull in the missing piece would go unseen.
// A log proves nothing unless it records successful requests (at least one
// request answered below 400, or one pull notification): a registry at
// log.level warn with its access log off writes only failures, and its
// silence about pulls is no evidence. Coverage is only as true as the log
// is whole: one replica's log says nothing of the pulls another replica
// served, and a log filtered by grep hides the pulls it dropped.
func Read(r io.Reader, opts Options, fn func(Event)) (Stats, error) {
	p := &parser{fn: fn, maxLine: opts.MaxLine, notAfter: maxUnix, names: newNameCache()}
	if p.maxLine <= 0 {
		p.maxLine = defaultMaxLine
	}
	silence := opts.MaxSilence
	if silence <= 0 {
		silence = defaultMaxSilence
	}
	p.cover.gap = int64(silence / time.Second)
	p.sourceName = "\x00" // no source yet: the first line's is looked up
	if !opts.NotAfter.IsZero() {
		p.notAfter = opts.NotAfter.Unix()
	}
	err := p.run(r)
	p.endDocument()
	spans, fragmented := p.cover.covered()
	p.stats.Fragmented = fragmented
	if p.stats.Success > 0 && !fragmented {
		for _, s := range spans {
			p.stats.Covered = append(p.stats.Covered, s.public())
		}
	}
	return p.stats, err
}

func (p *parser) run(r io.Reader) error {
	br := bufio.NewReaderSize(r, bufferSize)
	in, err := decompress(br)
	if err != nil {
		return err
	}
	lr := bufio.NewReaderSize(in, bufferSize)
	for {
		line, err := lr.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			line, err = p.longLine(lr, line)
		}
		if err != nil && err != io.EOF {
			// The line before a read error may be cut anywhere: unread.
			return fmt.Errorf("%w: %w", storage.ErrBadLog, err)
		}
		if len(line) > 0 {
			p.stats.Lines++
			p.stats.Bytes += int64(len(line))
			p.line(line)
		}
		if err == io.EOF {
			return nil
		}
	}
}

// longLine reads the rest of a line longer than the read buffer into
// p.long; beyond maxLine it discards the line, counts it as TooLong and
// returns no line. The error is ReadSlice's at the line's end.
func (p *parser) longLine(lr *bufio.Reader, first []byte) ([]byte, error) {
	p.long = append(p.long[:0], first...)
	for {
		more, err := lr.ReadSlice('\n')
		if len(p.long)+len(more) > p.maxLine {
			n := int64(len(p.long) + len(more))
			for errors.Is(err, bufio.ErrBufferFull) {
				more, err = lr.ReadSlice('\n')
				n += int64(len(more))
			}
			p.stats.Lines++
			p.stats.Bytes += n
			p.stats.Skipped[TooLong]++
			return nil, err
		}
		if need := len(p.long) + len(more); need > cap(p.long) {
			// Double, within maxLine: append's 1.25x growth would copy a
			// long line many times over.
			grown := make([]byte, len(p.long), min(max(2*cap(p.long), need), p.maxLine))
			copy(grown, p.long)
			p.long = grown
		}
		p.long = append(p.long, more...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return p.long, err
		}
	}
}

// decompress returns the log's text: br itself, or a gzip reader over it
// (concatenated gzip members, as zcat reads them). Other compressions are
// refused by name rather than read as garbage.
func decompress(br *bufio.Reader) (io.Reader, error) {
	head, _ := br.Peek(6)
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %w", storage.ErrBadLog, err)
		}
		return zr, nil
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return nil, fmt.Errorf("%w: zstd-compressed; decompress it (zstdcat FILE | regprune ... -)", storage.ErrBadLog)
	case bytes.HasPrefix(head, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return nil, fmt.Errorf("%w: xz-compressed; decompress it (xzcat FILE | regprune ... -)", storage.ErrBadLog)
	}
	return br, nil
}

// line reads one line, its newline included.
func (p *parser) line(b []byte) {
	b = bytes.TrimRight(b, "\r\n")
	if p.doc.open && p.continueDocument(b) {
		return
	}
	if len(bytes.Trim(b, " \t")) == 0 {
		p.count(Blank)
		return
	}
	p.count(p.entry(b))
}

// count counts an entry under its reason.
func (p *parser) count(why Reason) {
	switch why {
	case pulled:
		p.stats.Pulls++
	case counted:
	default:
		p.stats.Skipped[why]++
	}
}

// entry reads a non-empty line in any format.
func (p *parser) entry(b []byte) Reason {
	source, b, _ := sourcePrefix(b)
	if string(source) != p.sourceName {
		p.sourceName, p.source = string(source), p.cover.of(source)
	}
	if len(b) == 0 {
		return Blank
	}
	prefix, hasPrefix := int64(0), false
	if t, rest, ok := kubectlPrefix(b); ok {
		prefix, hasPrefix, b = t, true, rest
		if !p.seen(t) {
			return FutureTime
		}
		if len(b) == 0 {
			return Blank
		}
	}
	switch {
	case b[0] == '{':
		why := p.jsonLine(b, prefix, hasPrefix)
		if why == Malformed && p.startDocument(b, prefix, hasPrefix) {
			return counted
		}
		return why
	case logrusText(b):
		return p.textLine(b, prefix, hasPrefix)
	}
	return p.accessLine(b, prefix, hasPrefix)
}

// seen counts the time of a line for the log's range and coverage; false
// when it lies after NotAfter (the line is then skipped).
func (p *parser) seen(t int64) bool {
	if t > p.notAfter {
		return false
	}
	if p.stats.First.IsZero() || t < p.stats.First.Unix() {
		p.stats.First = unixTime(t)
	}
	if p.stats.Last.IsZero() || t > p.stats.Last.Unix() {
		p.stats.Last = unixTime(t)
	}
	p.source.add(t)
	return true
}

// lineTime is the time of a line: its own (ok) or else its kubectl prefix.
// ok false with a time past NotAfter skips the line.
func (p *parser) lineTime(own []byte, parse func([]byte) (int64, bool), prefix int64, hasPrefix bool) (t int64, has, future bool) {
	if own != nil {
		if t, ok := parse(own); ok {
			return t, true, !p.seen(t)
		}
	}
	return prefix, hasPrefix, false
}

// kubectlPrefix splits the "2006-01-02T15:04:05.999999999Z " that kubectl
// logs --timestamps puts before each line.
func kubectlPrefix(b []byte) (int64, []byte, bool) {
	if len(b) < 21 || b[4] != '-' || b[10] != 'T' || b[0] < '0' || b[0] > '9' {
		return 0, nil, false
	}
	sp := bytes.IndexByte(b[:min(len(b), 40)], ' ')
	if sp < 0 {
		return 0, nil, false
	}
	t, ok := parseRFC3339(b[:sp])
	if !ok {
		return 0, nil, false
	}
	return t, b[sp+1:], true
}

func unixTime(t int64) time.Time { return time.Unix(t, 0).UTC() }
