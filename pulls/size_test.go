package pulls

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// pulledHistory is a history of repos x tags tags, each pulled by tag and
// by its digest at some time in the last 90 days (the worst case: a
// history holds only what was pulled), with CI-style tag names.
func pulledHistory(repos, tags int) *History {
	r := rand.New(rand.NewPCG(5, 6))
	h := New()
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	n := 0
	for i := range repos {
		repo := fmt.Sprintf("team-%d/service-%d", i/20, i)
		for j := range tags {
			var tag string
			switch j % 3 {
			case 0:
				tag = fmt.Sprintf("1.%d.%d", j/100, j%100)
			case 1:
				tag = fmt.Sprintf("main-%07x", r.Uint32()>>4)
			default:
				tag = fmt.Sprintf("pr-%d-%d", 1000+j, r.IntN(50))
			}
			at := now.Add(-time.Duration(r.Int64N(int64(90 * 24 * time.Hour))))
			h.Add(Event{Repository: repo, Tag: tag, Digest: digestN(n), Time: at})
			n++
		}
	}
	h.Cover(Range{now.Add(-90 * 24 * time.Hour), now})
	return h
}

// The encoding stays compact: a tag and its digest, both pulled, take
// less than 55 bytes (the digest, random, about 33 of them).
func TestHistorySize(t *testing.T) {
	h := pulledHistory(10, 1000)
	enc := encode(t, h)
	if per := float64(len(enc)) / 10000; per > 55 {
		t.Errorf("%d bytes for 10,000 tags and digests: %.1f a pair, want under 55", len(enc), per)
	}
}

// BenchmarkHistoryMillion encodes and decodes the history of 1,000,000
// tags (1,000 repositories x 1,000 tags), each pulled by tag and digest:
// size, time, and the heap the decoded history holds.
//
//	go test -run '^$' -bench BenchmarkHistoryMillion -benchtime 1x ./pulls/
func BenchmarkHistoryMillion(b *testing.B) {
	h := pulledHistory(1000, 1000)
	var enc bytes.Buffer
	var encTime, decTime time.Duration
	var heap uint64
	for b.Loop() {
		enc.Reset()
		start := time.Now()
		if err := h.Encode(&enc); err != nil {
			b.Fatal(err)
		}
		encTime = time.Since(start)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start = time.Now()
		dec, err := Decode(bytes.NewReader(enc.Bytes()), 1<<30)
		if err != nil {
			b.Fatal(err)
		}
		decTime = time.Since(start)
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap = after.HeapAlloc - before.HeapAlloc
		runtime.KeepAlive(dec)
	}
	b.ReportMetric(float64(enc.Len())/1e6, "MB-encoded")
	b.ReportMetric(encTime.Seconds(), "s-encode")
	b.ReportMetric(decTime.Seconds(), "s-decode")
	b.ReportMetric(float64(heap)/(1<<20), "MiB-decoded-heap")
}
