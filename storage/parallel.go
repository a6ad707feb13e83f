package storage

import (
	"context"
	"sync"
	"sync/atomic"
)

// Each calls f(ctx, i) for every i in [0, n), on at most jobs goroutines
// (DefaultJobs when jobs < 1): a fixed set of workers that each take the
// next index, rather than a goroutine per object, so that a phase over a
// hundred thousand objects starts a handful of goroutines and grows their
// stacks once. After the first error, or when ctx is done, no further f is
// started; Each returns that first error, else ctx's error when it
// stopped early because of it.
func Each(ctx context.Context, n, jobs int, f func(ctx context.Context, i int) error) error {
	var next atomic.Int64
	return each(ctx, n, jobs, func(int) (int, bool) {
		i := int(next.Add(1)) - 1
		return i, i < n
	}, f)
}

// EachInRanges is Each with every worker taking a contiguous range of
// [0, n) rather than the next index: workers deleting sorted objects then
// work in different directories instead of queueing on the same one (on
// ext4, deleting a registry's leaves with 16 workers went from 240 to 50
// microseconds a leaf).
func EachInRanges(ctx context.Context, n, jobs int, f func(ctx context.Context, i int) error) error {
	if jobs < 1 {
		jobs = DefaultJobs
	}
	jobs = min(jobs, max(n, 1))
	next := make([]int, jobs) // worker w's next index, from its range's start
	for w := range next {
		next[w] = w * n / jobs
	}
	return each(ctx, n, jobs, func(w int) (int, bool) {
		i := next[w]
		next[w]++
		return i, i < (w+1)*n/jobs
	}, f)
}

// each runs f on jobs workers; worker w gets its indexes from take(w)
// until it says there are none left.
func each(ctx context.Context, n, jobs int, take func(w int) (int, bool), f func(ctx context.Context, i int) error) error {
	if n <= 0 {
		return nil
	}
	if jobs < 1 {
		jobs = DefaultJobs
	}
	jobs = min(jobs, n)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		once    sync.Once
		first   error
		wg      sync.WaitGroup
		stopped atomic.Bool // a worker left work undone
	)
	work := func(w int) {
		defer wg.Done()
		for {
			if wctx.Err() != nil {
				if _, more := take(w); more {
					stopped.Store(true)
				}
				return
			}
			i, ok := take(w)
			if !ok {
				return
			}
			if err := f(wctx, i); err != nil {
				once.Do(func() { first = err; cancel() })
				return
			}
		}
	}
	wg.Add(jobs)
	for w := 1; w < jobs; w++ {
		go work(w)
	}
	work(0)
	wg.Wait()
	if first != nil {
		return first
	}
	if stopped.Load() {
		return ctx.Err()
	}
	return nil
}
