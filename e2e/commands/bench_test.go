package commands

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/cli"
	"github.com/regprune/regprune/internal/gen"
	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/pulls"
	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
)

// Benchmarks of the commands by use, on the generated tree of gc's
// benchmarks (gen.Bench, cached under gen.BenchDir()):
//
//	go test -run '^$' -bench . -benchtime 1x ./e2e/commands -args -bench.repos=1000
//
// BenchmarkPullsRecord records 1 GiB of registry log (logrus text and
// access lines of pulls of the tree's tags, by tag and by digest, amid
// blob fetches, pings and misses) through pulls record, on stdin;
// BenchmarkPruneByPulls compares prune with and without a pull rule,
// alternating them in one run so that the machine's load weighs on both.
var benchConfig = gen.BenchFlags() // -bench.repos, -bench.tags

// benchTree is a copy of the cached tree (the commands write into it),
// and its tags read from the storage.
func benchTree(b *testing.B) (string, []storage.Tag, *scan.Manifests) {
	b.Helper()
	res, err := gen.Cached(gen.BenchDir(), benchConfig())
	if err != nil {
		b.Fatal(err)
	}
	root := regtest.CopyTree(b, res.Root)
	st, err := storage.Open(context.Background(), storage.Location{Root: root, How: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	tags, err := scan.ReadTagsOf(context.Background(), st, res.Repositories, 16)
	if err != nil {
		b.Fatal(err)
	}
	return root, tags, scan.NewManifests(st)
}

// benchLog writes about size bytes of registry log pulling tags, each
// pull a HEAD of the tag, the GET of its manifest by digest and of a few
// blobs, every request as a logrus line and an access line, with pings
// and misses between them, over the day before now.
func benchLog(tags []storage.Tag, size int) []byte {
	r := rand.New(rand.NewPCG(3, 4))
	var buf bytes.Buffer
	t := time.Now().Add(-24 * time.Hour)
	step := 24 * time.Hour / time.Duration(size/1500)
	line := func(method, uri string, status int) {
		t = t.Add(step)
		level, msg := "info", "response completed"
		if status >= 400 {
			level, msg = "error", "response completed with error"
		}
		fmt.Fprintf(&buf, `time="%s" level=%s msg=%q go.version=go1.26.8 http.request.host=registry.example.com http.request.id=%08x-8d2c-4a6e-9f3b-%012x http.request.method=%s http.request.remoteaddr="10.1.%d.%d:%d" http.request.uri=%q http.request.useragent="containerd/v1.7.24" http.response.duration="%dµs" http.response.status=%d http.response.written=%d version=v3.1.2`+"\n",
			t.Format(time.RFC3339Nano), level, msg, r.Uint32(), r.Uint64()&(1<<48-1), method, r.IntN(255), r.IntN(255), 30000+r.IntN(30000), uri, r.IntN(5000), status, r.IntN(1<<20))
		fmt.Fprintf(&buf, `10.1.%d.%d - - [%s] "%s %s HTTP/1.1" %d %d "" "containerd/v1.7.24"`+"\n",
			r.IntN(255), r.IntN(255), t.Format("02/Jan/2006:15:04:05 -0700"), method, uri, status, r.IntN(1<<20))
	}
	for buf.Len() < size {
		tag := tags[r.IntN(len(tags))]
		switch n := r.IntN(10); {
		case n < 7 && !tag.Digest.IsZero():
			line("HEAD", "/v2/"+tag.Repository+"/manifests/"+tag.Name, 200)
			line("GET", "/v2/"+tag.Repository+"/manifests/"+tag.Digest.String(), 200)
			for range 1 + r.IntN(4) {
				line("GET", fmt.Sprintf("/v2/%s/blobs/sha256:%016x%016x%016x%016x", tag.Repository, r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()), 200)
			}
		case n < 9:
			line("GET", "/v2/", 200)
		default:
			line("HEAD", "/v2/"+tag.Repository+"/manifests/missing", 404)
		}
	}
	return buf.Bytes()
}

// replay reads chunk again and again, up to left bytes.
type replay struct {
	chunk []byte
	off   int
	left  int64
}

func (r *replay) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	if r.off == len(r.chunk) {
		r.off = 0
	}
	n := copy(p, r.chunk[r.off:])
	n = int(min(int64(n), r.left))
	r.off += n
	r.left -= int64(n)
	return n, nil
}

// runBench runs regprune in-process, failing b unless it exits 0.
func runBench(b *testing.B, stdin io.Reader, args ...string) {
	b.Helper()
	var out, errb bytes.Buffer
	opts := []cli.Option{}
	if stdin != nil {
		opts = append(opts, cli.WithStdin(stdin))
	}
	if code := cli.Run(context.Background(), append([]string{"regprune"}, args...), &out, &errb, opts...); code != 0 {
		b.Fatalf("regprune %v: exit %d\n%s", args, code, errb.String())
	}
}

// BenchmarkPullsRecord: pulls record - of 1 GiB of log on the tree:
// MB/s, and the peak live heap of the whole command (reading, folding,
// compacting against the storage, encoding, writing).
func BenchmarkPullsRecord(b *testing.B) {
	const total = 1 << 30
	root, tags, _ := benchTree(b)
	chunk := benchLog(tags, 64<<20)
	chunk = chunk[:bytes.LastIndexByte(chunk, '\n')+1]
	b.SetBytes(total)
	var peak uint64
	b.ResetTimer()
	for b.Loop() {
		peak = max(peak, gen.PeakHeap(func() {
			runBench(b, &replay{chunk: chunk, left: total}, "--root", root, "--quiet", "pulls", "record", "-")
		}))
	}
	b.StopTimer()
	fi, err := os.Stat(filepath.Join(regtest.V2Dir(root), ".regprune", "pull-history.gz"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(fi.Size()), "history-bytes")
}

// writeBenchHistory records a history for the tree covering the last 60
// days: of the tags, 40% pulled by tag, 30% by digest, 10% through a
// child of their index (or by digest), 20% never, each some days ago.
func writeBenchHistory(b *testing.B, root string, tags []storage.Tag, mans *scan.Manifests) {
	b.Helper()
	r := rand.New(rand.NewPCG(5, 6))
	now := time.Now()
	h := pulls.New()
	for _, t := range tags {
		at := now.Add(-time.Duration(r.IntN(50*24)) * time.Hour)
		switch n := r.IntN(10); {
		case n < 4:
			h.Add(pulls.Event{Repository: t.Repository, Tag: t.Name, Time: at})
		case n < 8 && !t.Digest.IsZero():
			d := t.Digest
			if kids, err := scan.IndexChildren(context.Background(), mans, d); err == nil && len(kids) > 0 && n == 7 {
				d = kids[r.IntN(len(kids))]
			}
			h.Add(pulls.Event{Repository: t.Repository, Digest: d, Time: at})
		}
	}
	h.Cover(pulls.Range{Start: now.Add(-60 * 24 * time.Hour), End: now})
	var buf bytes.Buffer
	if err := h.Encode(&buf); err != nil {
		b.Fatal(err)
	}
	regtest.WriteFile(b, filepath.Join(regtest.V2Dir(root), ".regprune", "pull-history.gz"), buf.Bytes())
}

// BenchmarkPruneByPulls: prune --dry-run --keep-last 5 (gc planned, and
// with --no-gc the selection alone) against the same with
// --keep-pulled-within 30d, on the tree with a history where nearly every
// repository has pulls by digest (so every tag's index is read). Reports
// each's seconds per run and their ratio.
func BenchmarkPruneByPulls(b *testing.B) {
	root, tags, mans := benchTree(b)
	writeBenchHistory(b, root, tags, mans)
	for _, mode := range []struct{ name, flag string }{{"with-gc-plan", "--grace=1h"}, {"no-gc", "--no-gc"}} {
		b.Run(mode.name, func(b *testing.B) {
			plain := []string{"--root", root, "--quiet", "prune", "--dry-run", "--keep-last", "5", mode.flag}
			byPulls := append(append([]string(nil), plain...), "--keep-pulled-within", "30d")
			var tPlain, tPulls time.Duration
			i := 0
			for b.Loop() {
				runs := [][]string{plain, byPulls}
				if i%2 == 1 {
					runs[0], runs[1] = runs[1], runs[0]
				}
				for _, args := range runs {
					start := time.Now()
					runBench(b, nil, args...)
					if len(args) == len(byPulls) {
						tPulls += time.Since(start)
					} else {
						tPlain += time.Since(start)
					}
				}
				i++
			}
			b.ReportMetric(tPlain.Seconds()/float64(i), "plain-s/op")
			b.ReportMetric(tPulls.Seconds()/float64(i), "pulls-s/op")
			b.ReportMetric(float64(tPulls)/float64(tPlain), "ratio")
		})
	}
}
