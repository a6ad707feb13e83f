package gc_test

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/regprune/regprune/gc"
	"github.com/regprune/regprune/internal/gen"
)

// planBlobs stats the blobs to remove in chunks: chunks of 7 blobs plan
// exactly what one chunk of all plans (a generated tree of 10 x 5 with
// orphan blobs).
func TestBlobsStatedInChunks(t *testing.T) {
	c := gen.Defaults()
	c.OrphanBlobs = 40
	res, err := gen.Generate(filepath.Join(t.TempDir(), "root"), c)
	if err != nil {
		t.Fatal(err)
	}
	st := openStorage(t, res.Root)
	whole, err := gc.NewPlan(context.Background(), st, untagged())
	if err != nil {
		t.Fatal(err)
	}
	restore := gc.SetStatChunk(7)
	chunked, err := gc.NewPlan(context.Background(), st, untagged())
	restore()
	if err != nil {
		t.Fatal(err)
	}
	bs := values(whole.Blobs())
	if len(bs) != res.Blobs-res.LiveBlobs || len(bs) < 3*7 {
		t.Fatalf("plan removes %d blobs, the generator expects %d (at least 21)", len(bs), res.Blobs-res.LiveBlobs)
	}
	if got := values(chunked.Blobs()); !reflect.DeepEqual(got, bs) || chunked.Summary(true).FreedBytes != whole.Summary(true).FreedBytes {
		t.Errorf("chunks of 7 plan %d blobs (%d bytes), one chunk %d (%d bytes)", len(got), chunked.FreedBytes(), len(bs), whole.FreedBytes())
	}
}
