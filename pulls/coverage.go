package pulls

import (
	"sort"
	"time"
)

// Range is a closed span of time, [Start, End], in whole seconds (UTC).
type Range struct {
	Start, End time.Time
}

// span is a Range in Unix seconds.
type span struct{ start, end int64 }

func (s span) public() Range {
	return Range{Start: time.Unix(s.start, 0).UTC(), End: time.Unix(s.end, 0).UTC()}
}

func spanOf(r Range) span { return span{start: r.Start.Unix(), end: r.End.Unix()} }

// maxSpans bounds the pieces one log's coverage may have (see spanSet).
const maxSpans = 10000

// spanSet gathers the times of one log into spans: a time within gap
// seconds of a span joins it, so that a log's coverage is cut wherever it
// falls silent for longer than gap. Logs mostly run forward, so the span
// touched last is tried first. More than maxSpans pieces mark the set
// fragmented: such a log proves no coverage.
type spanSet struct {
	gap        int64
	spans      []span // sorted, apart by more than gap
	last       int
	fragmented bool
}

func (s *spanSet) add(t int64) {
	if s.fragmented {
		return
	}
	if s.last < len(s.spans) {
		if sp := &s.spans[s.last]; t >= sp.start && t <= sp.end {
			return
		}
	}
	i := sort.Search(len(s.spans), func(i int) bool { return s.spans[i].end+s.gap >= t })
	switch {
	case i < len(s.spans) && s.spans[i].start-s.gap <= t:
		sp := &s.spans[i]
		sp.start, sp.end = min(sp.start, t), max(sp.end, t)
		if i+1 < len(s.spans) && s.spans[i+1].start-s.gap <= sp.end {
			sp.end = max(sp.end, s.spans[i+1].end)
			s.spans = append(s.spans[:i+1], s.spans[i+2:]...)
		}
	case len(s.spans) == maxSpans:
		s.fragmented, s.spans = true, nil
		return
	default:
		s.spans = append(s.spans, span{})
		copy(s.spans[i+1:], s.spans[i:])
		s.spans[i] = span{t, t}
	}
	s.last = i
}

// mergeSpans sorts spans and joins those that overlap or touch (the next
// starts at most one second after the previous ends: at whole seconds
// nothing lies between them). The result is the canonical form the history
// keeps and encodes.
func mergeSpans(ss []span) []span {
	sort.Slice(ss, func(i, j int) bool { return ss[i].start < ss[j].start })
	out := ss[:0]
	for _, s := range ss {
		if n := len(out); n > 0 && s.start <= out[n-1].end+1 {
			out[n-1].end = max(out[n-1].end, s.end)
			continue
		}
		out = append(out, s)
	}
	return out
}

// uncovered is the first second of [from, to] that spans do not cover,
// counting a gap between spans (or after the last one, up to to) of at most
// slack seconds as covered. spans must be merged.
func uncovered(spans []span, from, to, slack int64) (int64, bool) {
	t := from
	for i, s := range spans {
		if s.end < t {
			continue
		}
		if s.start > t {
			// t lies in the gap before s: covered only if that gap is short.
			if i == 0 || s.start-spans[i-1].end-1 > slack {
				return t, true
			}
		}
		if s.end >= to {
			return 0, false
		}
		t = s.end + 1
	}
	if t > to {
		return 0, false
	}
	if n := len(spans); n > 0 && spans[n-1].end >= from-slack-1 && to-spans[n-1].end <= slack {
		return 0, false
	}
	return t, true
}

// coveredSince is the start of the stretch of coverage that reaches to
// (gaps of at most slack seconds bridged), or false when to itself is not
// covered.
func coveredSince(spans []span, to, slack int64) (int64, bool) {
	i := sort.Search(len(spans), func(i int) bool { return spans[i].end >= to })
	if i == len(spans) {
		// to lies after every span: covered only within slack of the last.
		if i == 0 || to-spans[i-1].end > slack {
			return 0, false
		}
		i--
	} else if spans[i].start > to {
		if i == 0 || spans[i].start-spans[i-1].end-1 > slack {
			return 0, false
		}
		i--
	}
	for i > 0 && spans[i].start-spans[i-1].end-1 <= slack {
		i--
	}
	return spans[i].start, true
}
