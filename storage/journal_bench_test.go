package storage

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"testing"
	"time"
)

// benchRecord is a large run: tags removed tags (each with a history of
// two) and collected manifests, over 100 repositories.
func benchRecord(b *testing.B, tags, collected int) *JournalRecord {
	b.Helper()
	start := time.Date(2026, 12, 2, 3, 30, 0, 0, time.UTC)
	run, err := NewRunName(start)
	if err != nil {
		b.Fatal(err)
	}
	d := func(i int) Digest {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(i))
		return Digest(sha256.Sum256(n[:]))
	}
	r := &JournalRecord{Run: run, Time: start, Command: "regprune prune --policy /etc/regprune/policy.yaml"}
	for i := range tags {
		r.Tags = append(r.Tags, JournalTag{Repository: fmt.Sprintf("team/app%03d", i%100), Tag: fmt.Sprintf("build-%d", i),
			Digest: d(i), Pushed: start.Add(-time.Duration(i) * time.Minute), History: []Digest{d(i), d(i + tags)}})
	}
	for i := range collected {
		r.Collected = append(r.Collected, JournalManifest{Repository: fmt.Sprintf("team/app%03d", i%100), Digest: d(2*tags + i)})
	}
	return r
}

// BenchmarkJournal encodes and decodes the record of a prune removing
// 10,000 tags whose gc collects 100,000 manifests.
func BenchmarkJournal(b *testing.B) {
	r := benchRecord(b, 10_000, 100_000)
	enc, err := EncodeJournal(r)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		for b.Loop() {
			if _, err := EncodeJournal(r); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(enc)), "record-bytes")
	})
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			if _, err := DecodeJournal(enc); err != nil {
				b.Fatal(err)
			}
		}
	})
}
