package storage

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestEach(t *testing.T) {
	t.Parallel()
	for name, each := range map[string]func(context.Context, int, int, func(context.Context, int) error) error{
		"Each": Each, "EachInRanges": EachInRanges,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testEach(t, each)
		})
	}
}

func testEach(t *testing.T, Each func(context.Context, int, int, func(context.Context, int) error) error) {
	ctx := context.Background()
	t.Run("every index once, at most jobs at a time", func(t *testing.T) {
		t.Parallel()
		const n, jobs = 1003, 7
		seen := make([]atomic.Int32, n)
		var running, peak atomic.Int32
		err := Each(ctx, n, jobs, func(_ context.Context, i int) error {
			r := running.Add(1)
			for p := peak.Load(); r > p && !peak.CompareAndSwap(p, r); p = peak.Load() {
			}
			seen[i].Add(1)
			running.Add(-1)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for i := range seen {
			if c := seen[i].Load(); c != 1 {
				t.Fatalf("index %d called %d times", i, c)
			}
		}
		if p := peak.Load(); p > jobs {
			t.Errorf("%d calls at once, want at most %d", p, jobs)
		}
	})
	t.Run("first error stops the rest", func(t *testing.T) {
		t.Parallel()
		boom := errors.New("boom")
		var calls atomic.Int32
		err := Each(ctx, 10000, 4, func(ctx context.Context, i int) error {
			calls.Add(1)
			if i == 10 {
				return boom
			}
			return ctx.Err()
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want boom", err)
		}
		if c := calls.Load(); c >= 10000 {
			t.Errorf("%d calls after the error, want the rest skipped", c)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		t.Parallel()
		cctx, cancel := context.WithCancel(ctx)
		var calls atomic.Int32
		err := Each(cctx, 1000, 3, func(context.Context, int) error {
			if calls.Add(1) == 5 {
				cancel()
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if c := calls.Load(); c >= 1000 {
			t.Errorf("%d calls, want fewer after the cancel", c)
		}
	})
	t.Run("nothing to do", func(t *testing.T) {
		t.Parallel()
		if err := Each(ctx, 0, 4, func(context.Context, int) error { t.Error("called"); return nil }); err != nil {
			t.Fatal(err)
		}
	})
}

// EachInRanges gives every worker one contiguous range, visited in order.
func TestEachInRangesContiguous(t *testing.T) {
	t.Parallel()
	const n, jobs = 100, 4
	var mu sync.Mutex
	var order []int
	err := EachInRanges(context.Background(), n, jobs, func(_ context.Context, i int) error {
		mu.Lock()
		order = append(order, i)
		mu.Unlock()
		return nil
	})
	if err != nil || len(order) != n {
		t.Fatalf("err %v, %d calls", err, len(order))
	}
	last := map[int]int{} // range start -> last index seen in it
	for _, i := range order {
		w := i * jobs / n
		start := w * n / jobs
		if prev, ok := last[start]; ok && i != prev+1 {
			t.Fatalf("range of worker %d: %d after %d", w, i, prev)
		}
		if _, ok := last[start]; !ok && i != start {
			t.Fatalf("range of worker %d starts at %d, want %d", w, i, start)
		}
		last[start] = i
	}
}
