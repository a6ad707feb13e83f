package pulls

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// logGen writes a realistic registry log: for each client pull, the HEAD
// of a tag, the GET of its manifest by digest, of its config and layers,
// each as the registry's logrus line (text or JSON) and its access line;
// between pulls, pings, misses and pushes with their upload URIs.
type logGen struct {
	r    *rand.Rand
	json bool
	t    time.Time
	buf  bytes.Buffer
}

func (g *logGen) logrus(method, uri string, status, written int) {
	g.t = g.t.Add(time.Duration(g.r.IntN(20)) * time.Millisecond)
	level, msg := "info", "response completed"
	if status >= 400 {
		level, msg = "error", "response completed with error"
	}
	id := fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", g.r.Uint32(), g.r.IntN(1<<16), g.r.IntN(1<<16), g.r.IntN(1<<16), g.r.Uint64()&(1<<48-1))
	if g.json {
		fmt.Fprintf(&g.buf, `{"go.version":"go1.26.8","http.request.host":"registry.example.com","http.request.id":"%s","http.request.method":"%s","http.request.remoteaddr":"10.1.%d.%d:%d","http.request.uri":"%s","http.request.useragent":"containerd/v1.7.24","http.response.contenttype":"application/vnd.oci.image.manifest.v1+json","http.response.duration":"%dµs","http.response.status":%d,"http.response.written":%d,"instance.id":"01a23653-0e6c-7187-a4fd-509e24199eb5","level":"%s","msg":"%s","time":"%s","version":"v3.1.2"}`+"\n",
			id, method, g.r.IntN(255), g.r.IntN(255), 30000+g.r.IntN(30000), uri, g.r.IntN(5000), status, written, level, msg, g.t.Format(time.RFC3339Nano))
	} else {
		fmt.Fprintf(&g.buf, `time="%s" level=%s msg=%q go.version=go1.26.8 http.request.host=registry.example.com http.request.id=%s http.request.method=%s http.request.remoteaddr="10.1.%d.%d:%d" http.request.uri=%q http.request.useragent="containerd/v1.7.24" http.response.contenttype=application/vnd.oci.image.manifest.v1+json http.response.duration="%dµs" http.response.status=%d http.response.written=%d instance.id=01a23653-0e6c-7187-a4fd-509e24199eb5 version=v3.1.2`+"\n",
			g.t.Format(time.RFC3339Nano), level, msg, id, method, g.r.IntN(255), g.r.IntN(255), 30000+g.r.IntN(30000), uri, g.r.IntN(5000), status, written)
	}
	fmt.Fprintf(&g.buf, `10.1.%d.%d - - [%s] "%s %s HTTP/1.1" %d %d "" "containerd/v1.7.24"`+"\n",
		g.r.IntN(255), g.r.IntN(255), g.t.Format("02/Jan/2006:15:04:05 -0700"), method, uri, status, written)
}

func (g *logGen) hex() string {
	return fmt.Sprintf("%016x%016x%016x%016x", g.r.Uint64(), g.r.Uint64(), g.r.Uint64(), g.r.Uint64())
}

// event writes one client's pull of an image, or other traffic.
func (g *logGen) event() {
	repo := fmt.Sprintf("team-%d/app-%d", g.r.IntN(50), g.r.IntN(20))
	switch n := g.r.IntN(10); {
	case n < 6:
		tag := fmt.Sprintf("v1.%d.%d", g.r.IntN(20), g.r.IntN(10))
		g.logrus("HEAD", "/v2/"+repo+"/manifests/"+tag, 200, 0)
		g.logrus("GET", "/v2/"+repo+"/manifests/sha256:"+g.hex(), 200, 1024)
		for range 1 + g.r.IntN(6) {
			g.logrus("GET", "/v2/"+repo+"/blobs/sha256:"+g.hex(), 200, 1<<20)
		}
	case n < 8:
		g.logrus("GET", "/v2/", 200, 2)
		g.logrus("HEAD", "/v2/"+repo+"/manifests/missing", 404, 96)
	default:
		g.logrus("POST", "/v2/"+repo+"/blobs/uploads/", 202, 0)
		g.logrus("PUT", "/v2/"+repo+"/blobs/uploads/"+g.hex()[:36]+"?_state=m5J6jn5Unf0KiTHMuII6jdn6Eqw530HF81J117buXJt7Ik5hbWUiOiJ0ZWFtL2FwcCIsIlVVSUQiOiIwMWEyMzY1My0xYWRlLTdjM2MtYTA4Ny05OWE3MDQzMzkzYWEiLCJPZmZzZXQiOjUyMiwiU3RhcnRlZEF0IjoiMjAyNi0xMi0wMlQxMDozNTo0NVoifQ%3D%3D&digest=sha256%3A"+g.hex(), 201, 0)
		g.logrus("PUT", "/v2/"+repo+"/manifests/v2."+fmt.Sprint(g.r.IntN(9)), 201, 0)
	}
}

// generateLog returns about size bytes of log.
func generateLog(size int, json bool) []byte {
	g := &logGen{r: rand.New(rand.NewPCG(1, 2)), json: json, t: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	for g.buf.Len() < size {
		g.event()
	}
	return g.buf.Bytes()
}

// replay reads chunk again and again, up to total bytes.
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

// peakHeap samples the live heap every millisecond while f runs and
// returns its peak above the level before.
func peakHeap(f func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if v := read(); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	})
	f()
	close(done)
	wg.Wait()
	if p := peak.Load(); p > base {
		return p - base
	}
	return 0
}

// BenchmarkRead reads 1 GiB of generated registry log a run (a 64 MiB
// chunk replayed), as logrus text with access lines, as JSON with access
// lines, and gzip'd: MB/s, pulls found, peak live heap.
//
//	go test -run '^$' -bench BenchmarkRead -benchtime 1x ./pulls/
func BenchmarkRead(b *testing.B) {
	const total = 1 << 30
	for _, tc := range []struct {
		name       string
		json, gzip bool
	}{{"text", false, false}, {"json", true, false}, {"text-gzip", false, true}} {
		b.Run(tc.name, func(b *testing.B) {
			chunk := generateLog(64<<20, tc.json)
			var in func() io.Reader
			if tc.gzip {
				// Compress a 16 MiB chunk, replayed as concatenated members.
				var z bytes.Buffer
				zw, _ := gzip.NewWriterLevel(&z, gzip.DefaultCompression)
				zw.Write(chunk[:bytes.LastIndexByte(chunk[:16<<20], '\n')+1])
				zw.Close()
				ratio := float64(16<<20) / float64(z.Len())
				in = func() io.Reader { return &replay{chunk: z.Bytes(), left: int64(total / ratio)} }
			} else {
				chunk = chunk[:bytes.LastIndexByte(chunk, '\n')+1]
				in = func() io.Reader { return &replay{chunk: chunk, left: total} }
			}
			b.SetBytes(total)
			b.ReportAllocs()
			var peak uint64
			var st Stats
			b.ResetTimer()
			for b.Loop() {
				peak = max(peak, peakHeap(func() {
					var err error
					st, err = Read(in(), Options{MaxSilence: 24 * time.Hour}, func(Event) {})
					if err != nil {
						b.Fatal(err)
					}
				}))
			}
			b.ReportMetric(float64(st.Pulls), "pulls/op")
			b.ReportMetric(float64(st.Lines), "lines/op")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}
