package scan_test

import (
	"context"
	"errors"
	"testing"

	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
)

// TestManifestsReadAgainAfterCancel: a read the first caller's context
// stopped is not kept as the manifest's fact: a caller whose context is
// live reads it (scan shares one cache between its inventory and gc's
// planner; the inventory stopping on an error made gc report "context
// canceled" instead of that error).
func TestManifestsReadAgainAfterCancel(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	img := r.PushImage(t, "app:v1")
	st := openStorage(t, root)
	d, err := storage.ParseDigest(regtest.DigestOf(t, img).String())
	if err != nil {
		t.Fatal(err)
	}
	mans := scan.NewManifests(st)

	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := mans.Get(stopped, d); !errors.Is(err, context.Canceled) {
		t.Fatalf("read with a cancelled context: %v, want context.Canceled", err)
	}
	m, size, err := mans.Get(context.Background(), d)
	if err != nil || m == nil || size == 0 {
		t.Fatalf("read with a live context after a cancelled one: %v, %d, %v", m, size, err)
	}
	// Kept once read: a cancelled caller now gets it too.
	if m2, _, err := mans.Get(stopped, d); err != nil || m2 != m {
		t.Errorf("cached manifest for a cancelled caller: %v, %v", m2, err)
	}
}
