package gc_test

import (
	"context"
	"strings"
	"testing"

	"github.com/regprune/regprune/gc"
	"github.com/regprune/regprune/internal/regtest"
)

// A push that completes between the plan and the sweep, reusing layers
// the plan found unreferenced (the client sees them linked in the
// repository and does not upload them), keeps those layer links and
// blobs: the executor re-reads revisions before it deletes layer links
// and again before it deletes blobs.
func TestPushBetweenPlanAndSweep(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	old := r.PushImage(t, "a:old", regtest.WithLayers(2, 256))
	r.PushImage(t, "a:live")
	untag(t, root, "a", "old")
	age(t, root)
	st := openStorage(t, root)
	opts := untagged()
	p, err := gc.NewPlan(context.Background(), st, opts)
	if err != nil {
		t.Fatal(err)
	}
	if c := p.Counts(); c.LayerLinks < 2 || c.Blobs < 2 {
		t.Fatalf("the plan should remove the old image's layer links and blobs: %+v", c)
	}
	r.PushImage(t, "a:new", regtest.WithSharedLayers(regtest.LayersOf(t, old)...), regtest.WithLayers(1, 64))
	sum, err := p.Execute(context.Background(), st, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	saved := 0
	for _, w := range sum.Warnings {
		if strings.Contains(w, "pushed since the plan") {
			saved++
		}
	}
	if saved < 2 {
		t.Errorf("want the two reused layer links kept with a warning each; warnings: %q", sum.Warnings)
	}
	layers := regtest.BlobsOf(t, old)[1:] // the config is not shared
	regtest.AssertExists(t, layerLinks(root, "a", layers...)...)
	regtest.AssertExists(t, blobFiles(root, layers...)...)
	r.AssertWhole(t, "a:new")
	r.AssertAllTagsWhole(t)
}
