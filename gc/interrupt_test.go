package gc_test

import (
	"context"
	"errors"
	"testing"

	"github.com/regprune/regprune/gc"
	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/storage"
)

// A run stopped after n removals (as SIGINT does) returns ErrInterrupted
// with what it removed, leaves every tag whole, and a re-run converges to
// the state of an uninterrupted run.
func TestInterruptedRunConverges(t *testing.T) {
	t.Parallel()
	src, _ := regtest.LoadSample(t)
	for _, tag := range []string{"T12", "T22", "T52", "T51"} {
		untag(t, src, regtest.SeedRepo, tag)
	}
	ref := regtest.CopyTree(t, src)
	collect(t, ref, untagged())
	want := regtest.Snapshot(t, ref).WithoutJournal()
	for _, n := range []int{1, 4, 12} {
		root := regtest.CopyTree(t, src)
		st := openStorage(t, root)
		p, err := gc.NewPlan(context.Background(), st, untagged())
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		opts, done := untagged(), 0
		opts.Removed = func(gc.Phase, string) {
			if done++; done == n {
				cancel()
			}
		}
		sum, err := p.Execute(ctx, st, journaled(t, st, opts), nil)
		cancel()
		if !errors.Is(err, storage.ErrInterrupted) {
			t.Fatalf("stopped after %d: error %v", n, err)
		}
		if c := sum.Removed; c.Tags+c.Manifests+c.LayerLinks+c.Blobs+c.Uploads+c.Repositories < n {
			t.Errorf("stopped after %d: summary %+v", n, sum)
		}
		regtest.Start(t, root).AssertAllTagsWhole(t)
		collect(t, root, untagged())
		if diff := want.Diff(regtest.Snapshot(t, root).WithoutJournal()); len(diff) > 0 {
			t.Errorf("stopped after %d, then re-run: differs from an uninterrupted run: %v", n, diff)
		}
	}
}

// A signal after the last phase, while gc reads the storage a last time
// for layer links to repair, is reported as an interruption too.
func TestInterruptedAtTheLastRepair(t *testing.T) {
	t.Parallel()
	root, _ := regtest.LoadSample(t)
	untag(t, root, regtest.SeedRepo, "T22") // layer links go: the last repair has work
	st := openStorage(t, root)
	p, err := gc.NewPlan(context.Background(), st, untagged())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err = p.Execute(ctx, st, journaled(t, st, untagged()), func(ph gc.Phase, _ int) {
		if ph == gc.PhaseDirectories {
			cancel()
		}
	})
	if !errors.Is(err, storage.ErrInterrupted) {
		t.Fatalf("error %v, want ErrInterrupted", err)
	}
	regtest.Start(t, root).AssertAllTagsWhole(t)
}
