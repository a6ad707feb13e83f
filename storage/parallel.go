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
		next  atomic.Int64
		once  sync.Once
		first error
		wg    sync.WaitGroup
	)
	work := func() {
		defer wg.Done()
		for wctx.Err() == nil {
			i := int(next.Add(1)) - 1
			if i >= n {
				return
			}
			if err := f(wctx, i); err != nil {
				once.Do(func() { first = err; cancel() })
				return
			}
		}
	}
	wg.Add(jobs)
	for range jobs - 1 {
		go work()
	}
	work()
	wg.Wait()
	if first != nil {
		return first
	}
	if int(next.Load()) < n {
		return ctx.Err()
	}
	return nil
}
