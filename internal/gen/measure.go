package gen

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

const heapObjects = "/memory/classes/heap/objects:bytes"

// PeakHeap runs f and returns the largest heap (bytes of live and
// not-yet-swept objects) seen while it ran, above the heap before it
// started, sampled every millisecond without stopping the world. It
// measures what f holds at its fullest: the marks, sets and plans.
func PeakHeap(f func()) uint64 {
	runtime.GC()
	base := heapNow()
	var (
		peak uint64
		wg   sync.WaitGroup
	)
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			peak = max(peak, heapNow())
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(stop)
	wg.Wait()
	peak = max(peak, heapNow())
	if peak < base {
		return 0
	}
	return peak - base
}

func heapNow() uint64 {
	s := []metrics.Sample{{Name: heapObjects}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
