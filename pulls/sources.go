package pulls

import "bytes"

// kubectl logs -l app=registry --prefix reads every replica's log into one
// stream, each line behind "[pod/<pod>/<container>] ". Each replica serves
// its own pulls, so a time is covered only where every replica's log in
// the stream covers it: the coverage of such a stream is the intersection
// of its sources' (a replica whose log starts later, or that fell silent,
// leaves that time uncovered; a source without a timed line covers
// nothing). Lines without the prefix are a source of their own. A log of one replica, read alone, cannot tell that others
// exist: its coverage is its own.

// maxSources bounds the sources of one log; more mark it fragmented.
const maxSources = 1000

// sourcePrefix splits "[pod/<pod>/<container>] " off a line.
func sourcePrefix(b []byte) (source, rest []byte, ok bool) {
	if !bytes.HasPrefix(b, []byte("[pod/")) {
		return nil, b, false
	}
	end := bytes.Index(b[:min(len(b), 512)], []byte("] "))
	if end < 0 || bytes.IndexByte(b[1:end], ' ') >= 0 || bytes.Count(b[1:end], []byte("/")) != 2 {
		return nil, b, false
	}
	return b[1:end], b[end+2:], true
}

// coverage of the lines of one source.
type sourceSpans struct {
	sets  map[string]*spanSet // by source; "" for lines without a prefix
	order []string
	gap   int64
	many  bool // more than maxSources
}

// of returns the spans of a source, created on first use.
func (s *sourceSpans) of(source []byte) *spanSet {
	if set, ok := s.sets[string(source)]; ok {
		return set
	}
	if s.sets == nil {
		s.sets = make(map[string]*spanSet)
	}
	if len(s.sets) == maxSources {
		s.many = true
		return &spanSet{gap: s.gap, fragmented: true}
	}
	set := &spanSet{gap: s.gap}
	s.sets[string(source)] = set
	s.order = append(s.order, string(source))
	return set
}

// covered is the intersection of every source's spans, and whether any
// source was fragmented (then nothing is covered).
func (s *sourceSpans) covered() ([]span, bool) {
	if s.many {
		return nil, true
	}
	var out []span
	for i, name := range s.order {
		set := s.sets[name]
		if set.fragmented {
			return nil, true
		}
		if i == 0 {
			out = set.spans
			continue
		}
		out = intersect(out, set.spans)
	}
	return out, false
}

// intersect is the time two sorted span lists both cover.
func intersect(a, b []span) []span {
	var out []span
	for i, j := 0, 0; i < len(a) && j < len(b); {
		start, end := max(a[i].start, b[j].start), min(a[i].end, b[j].end)
		if start <= end {
			out = append(out, span{start, end})
		}
		if a[i].end < b[j].end {
			i++
		} else {
			j++
		}
	}
	return out
}
