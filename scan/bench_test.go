package scan_test

import (
	"context"
	"testing"

	"github.com/regprune/regprune/gc"
	"github.com/regprune/regprune/internal/gen"
	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
)

// Benchmarks over the generated tree gc's benchmarks use (gen.Bench,
// cached under gen.BenchDir()). Run with
//
//	go test -run '^$' -bench . -benchtime 3x ./scan -args -bench.repos=1000
//
// BenchmarkScan is what `regprune scan` does: the inventory and gc's plan
// side by side, sharing one manifest cache; BenchmarkInventory is the
// inventory alone. Compare with gc's BenchmarkPlan (the mark phase).
var benchConfig = gen.BenchFlags() // -bench.repos, -bench.tags

func benchStorage(b *testing.B) (*gen.Result, *storage.Storage) {
	b.Helper()
	res, err := gen.Cached(gen.BenchDir(), benchConfig())
	if err != nil {
		b.Fatal(err)
	}
	st, err := storage.Open(context.Background(), storage.Location{Root: res.Root, How: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	return res, st
}

func reportScan(b *testing.B, res *gen.Result, peak uint64) {
	b.ReportMetric(float64(res.Files), "files")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(res.Files), "ns/file")
	b.ReportMetric(float64(peak)/float64(res.Blobs+res.Revisions), "peak-heap-B/obj")
}

func BenchmarkInventory(b *testing.B) {
	res, st := benchStorage(b)
	b.ResetTimer()
	peak := gen.PeakHeap(func() {
		for range b.N {
			inv, err := scan.Take(context.Background(), st, scan.InventoryOptions{Jobs: storage.DefaultJobs})
			if err != nil {
				b.Fatal(err)
			}
			if len(inv.Repositories) != len(res.Repositories) {
				b.Fatalf("inventory lists %d repositories, the tree has %d", len(inv.Repositories), len(res.Repositories))
			}
		}
	})
	b.StopTimer()
	reportScan(b, res, peak)
}

func BenchmarkScan(b *testing.B) {
	res, st := benchStorage(b)
	b.ResetTimer()
	peak := gen.PeakHeap(func() {
		for range b.N {
			mans := scan.NewManifests(st)
			done := make(chan error, 1)
			go func() {
				_, err := gc.NewPlan(context.Background(), st,
					gc.Options{DeleteUntagged: true, Now: gen.Epoch, Manifests: mans})
				done <- err
			}()
			_, err := scan.Take(context.Background(), st, scan.InventoryOptions{Jobs: storage.DefaultJobs, Manifests: mans})
			if perr := <-done; err == nil {
				err = perr
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.StopTimer()
	reportScan(b, res, peak)
}
