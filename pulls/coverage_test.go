package pulls

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// coveredAt is the definition uncovered and coveredSince implement, second
// by second: x is covered when a span holds it, or it lies in a gap of at
// most slack seconds between two spans, or after the last span when to
// is within slack of it.
func coveredAt(spans []span, x, to, slack int64) bool {
	for i, s := range spans {
		if x >= s.start && x <= s.end {
			return true
		}
		if x < s.start {
			return i > 0 && s.start-spans[i-1].end-1 <= slack
		}
	}
	return len(spans) > 0 && to-spans[len(spans)-1].end <= slack
}

func randomSpans(r *rand.Rand) []span {
	var ss []span
	for range r.IntN(5) {
		a := r.Int64N(60)
		ss = append(ss, span{a, a + r.Int64N(8)})
	}
	return mergeSpans(ss)
}

func TestUncoveredAgainstDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		spans := randomSpans(r)
		from, slack := r.Int64N(70), r.Int64N(5)
		to := from + r.Int64N(20)
		want, wantOK := int64(0), false
		for x := from; x <= to; x++ {
			if !coveredAt(spans, x, to, slack) {
				want, wantOK = x, true
				break
			}
		}
		got, ok := uncovered(spans, from, to, slack)
		if ok != wantOK || got != want {
			t.Fatalf("uncovered(%v, %d, %d, slack %d) = %d %v, want %d %v", spans, from, to, slack, got, ok, want, wantOK)
		}
		since, ok := coveredSince(spans, to, slack)
		wantSince, wantOK := to, coveredAt(spans, to, to, slack)
		for wantOK && wantSince > -10 && coveredAt(spans, wantSince-1, to, slack) {
			wantSince--
		}
		if ok != wantOK || ok && since != wantSince {
			t.Fatalf("coveredSince(%v, %d, slack %d) = %d %v, want %d %v", spans, to, slack, since, ok, wantSince, wantOK)
		}
	}
}

func TestMergeSpans(t *testing.T) {
	got := mergeSpans([]span{{10, 20}, {1, 3}, {4, 5}, {21, 21}, {23, 30}, {25, 26}, {2, 2}})
	want := []span{{1, 5}, {10, 21}, {23, 30}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestSpanSet adds times in random order and checks the spans against the
// definition: sorted times joined where consecutive ones are at most gap
// apart.
func TestSpanSet(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		gap := r.Int64N(4)
		times := make([]int64, r.IntN(30))
		for i := range times {
			times[i] = r.Int64N(100)
		}
		var s spanSet
		s.gap = gap
		for _, x := range times {
			s.add(x)
		}
		slices.Sort(times)
		var want []span
		for _, x := range times {
			if n := len(want); n > 0 && x-want[n-1].end <= gap {
				want[n-1].end = x
				continue
			}
			want = append(want, span{x, x})
		}
		if !slices.Equal(s.spans, want) {
			t.Fatalf("times %v gap %d: %v, want %v", times, gap, s.spans, want)
		}
	}
}

func TestSpanSetFragmented(t *testing.T) {
	s := spanSet{gap: 1}
	for i := range int64(maxSpans + 1) {
		s.add(i * 10)
	}
	if !s.fragmented || s.spans != nil {
		t.Fatalf("%d spans, fragmented %v; want fragmented past %d", len(s.spans), s.fragmented, maxSpans)
	}
}
