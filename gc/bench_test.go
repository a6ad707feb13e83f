package gc_test

import (
	"context"
	"testing"

	"github.com/regprune/regprune/gc"
	"github.com/regprune/regprune/internal/gen"
	"github.com/regprune/regprune/internal/regtest"
)

// Benchmarks over a generated tree (internal/gen: gen.Bench(repos, tags)),
// kept between runs under gen.BenchDir(). Run with
//
//	go test -run '^$' -bench . -benchtime 3x ./gc -bench.repos 1000
//
// Each reports, besides ns/op: files (regular files of the tree),
// ns/file, and peak-heap-B/obj (the peak heap while it ran, above the heap
// before it, divided by blobs plus manifest revisions).
var benchConfig = gen.BenchFlags() // -bench.repos, -bench.tags

func benchTree(b *testing.B) *gen.Result {
	b.Helper()
	res, err := gen.Cached(gen.BenchDir(), benchConfig())
	if err != nil {
		b.Fatal(err)
	}
	return res
}

func benchOptions() gc.Options { return gc.Options{DeleteUntagged: true, Jobs: 16, Now: gen.Epoch} }

// report adds the per-file and per-object figures to b.
func report(b *testing.B, res *gen.Result, files int, peak uint64) {
	b.ReportMetric(float64(files), "files")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(files), "ns/file")
	b.ReportMetric(float64(peak)/float64(res.Blobs+res.Revisions), "peak-heap-B/obj")
}

// BenchmarkPlan is gc's mark phase (and planning) on the whole tree:
// --delete-untagged --grace 0, nothing deleted.
func BenchmarkPlan(b *testing.B) {
	res := benchTree(b)
	st := openStorage(b, res.Root)
	var p *gc.Plan
	b.ResetTimer()
	peak := gen.PeakHeap(func() {
		for range b.N {
			var err error
			p = nil // the previous run's plan is no part of this run's peak
			if p, err = gc.NewPlan(context.Background(), st, benchOptions()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.StopTimer()
	checkPlan(b, res, p)
	report(b, res, res.Files, peak)
}

// BenchmarkCollect is a whole gc --delete-untagged --grace 0 (plan and
// sweep) on a fresh copy of the tree each time; copying is not timed.
func BenchmarkCollect(b *testing.B) {
	res := benchTree(b)
	var peak uint64
	for range b.N {
		b.StopTimer()
		root := regtest.CopyTree(b, res.Root)
		st := openStorage(b, root)
		b.StartTimer()
		peak = max(peak, gen.PeakHeap(func() {
			p, err := gc.NewPlan(context.Background(), st, benchOptions())
			if err != nil {
				b.Fatal(err)
			}
			checkPlan(b, res, p)
			if _, err := p.Execute(context.Background(), st, journaled(b, st, benchOptions()), nil); err != nil {
				b.Fatal(err)
			}
		}))
	}
	b.StopTimer()
	report(b, res, res.Files, peak)
}

// BenchmarkNoop is a gc with nothing to delete: the tree as a first gc
// left it (copied and collected once, not timed).
func BenchmarkNoop(b *testing.B) {
	res := benchTree(b)
	root := regtest.CopyTree(b, res.Root)
	st := openStorage(b, root)
	p, err := gc.NewPlan(context.Background(), st, benchOptions())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := p.Execute(context.Background(), st, journaled(b, st, benchOptions()), nil); err != nil {
		b.Fatal(err)
	}
	files := res.Files - (res.Revisions - res.LiveRevisions) - (res.LayerLinks - res.LiveLayerLinks) -
		(res.Blobs - res.LiveBlobs) - historyEntries(res)
	b.ResetTimer()
	peak := gen.PeakHeap(func() {
		for range b.N {
			p, err := gc.NewPlan(context.Background(), st, benchOptions())
			if err != nil {
				b.Fatal(err)
			}
			if c := p.Counts(); c != (gc.Counts{}) {
				b.Fatalf("second gc would remove %+v", c)
			}
			if _, err := p.Execute(context.Background(), st, journaled(b, st, benchOptions()), nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.StopTimer()
	report(b, res, files, peak)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(files)*1e5/1e9, "s/100k-files")
}

// checkPlan fails b unless the plan removes exactly what no tag reaches.
func checkPlan(b *testing.B, res *gen.Result, p *gc.Plan) {
	b.Helper()
	c := p.Counts()
	if c.Manifests != res.Revisions-res.LiveRevisions || c.LayerLinks != res.LayerLinks-res.LiveLayerLinks ||
		c.Blobs != res.Blobs-res.LiveBlobs || p.FreedBytes() != res.Bytes-res.LiveBytes {
		b.Fatalf("plan removes %+v (%d bytes); the generator expects %d manifests, %d layer links, %d blobs (%d bytes)",
			c, p.FreedBytes(), res.Revisions-res.LiveRevisions, res.LayerLinks-res.LiveLayerLinks,
			res.Blobs-res.LiveBlobs, res.Bytes-res.LiveBytes)
	}
}

// historyEntries is the number of tag history links of untagged manifests
// (the live tags' older pushes), which gc removes with their revisions.
func historyEntries(res *gen.Result) int { return res.HistoryLinks - res.TagCount() }
