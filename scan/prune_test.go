package scan_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/scan"
)

// TestRemoveTagsSkipsChangedTags: a tag pushed again between the reading
// and the removal (new digest, or same digest with a new push time) stays.
func TestRemoveTagsSkipsChangedTags(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	for _, ref := range []string{"app:a", "app:b", "app:c", "other:x"} {
		r.PushImage(t, ref, regtest.WithLayers(1, 64))
	}
	st := openStorage(t, root)
	ctx := context.Background()
	tags, err := scan.ReadTagsOf(ctx, st, []string{"app"}, 4)
	if err != nil || len(tags) != 3 {
		t.Fatalf("ReadTagsOf = %v, %v", tags, err)
	}

	j, err := st.NewJournal("test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if removed, _, err := scan.RemoveTags(cancelled, st, j, tags, 4); !errors.Is(err, context.Canceled) || len(removed) != 0 {
		t.Errorf("RemoveTags(cancelled) = %v, %v", removed, err)
	}

	r.PushImage(t, "app:b", regtest.WithLayers(1, 64))                   // new digest
	regtest.SetPushed(t, root, "app", "c", time.Now().Add(-time.Minute)) // same digest, pushed again
	removed, skipped, err := scan.RemoveTags(ctx, st, j, tags, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0].Name != "a" || len(skipped) != 2 || skipped[0].Tag.Name != "b" || skipped[1].Tag.Name != "c" {
		t.Fatalf("removed %v, skipped %v", removed, skipped)
	}
	r.AssertGone(t, "app:a")
	r.AssertWhole(t, "app:b")
	r.AssertWhole(t, "app:c")
	r.AssertWhole(t, "other:x")
	// The journal recorded every tag before the removal, as read.
	if rec := j.Record(); len(rec.Tags) != 3 || rec.Tags[0].Tag != "a" || rec.Tags[0].Digest != tags[0].Digest ||
		!rec.Tags[0].Pushed.Equal(tags[0].Pushed) || len(rec.Tags[0].History) != 1 {
		t.Errorf("journal record: %+v", rec.Tags)
	}
}
