package gc_test

import (
	"context"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/regprune/regprune/gc"
	"github.com/regprune/regprune/internal/regtest"
)

// oldGarbage is a registry whose repository a holds an untagged image
// old, aged past the grace period, beside a tagged one: gc plans to remove
// old's layer links and blobs.
func oldGarbage(t *testing.T) (string, *regtest.Registry, v1.Image) {
	t.Helper()
	root := t.TempDir()
	r := regtest.Start(t, root)
	old := r.PushImage(t, "a:old", regtest.WithLayers(2, 256))
	r.PushImage(t, "a:live")
	untag(t, root, "a", "old")
	age(t, root)
	return root, r, old
}

// A push that completes between the plan and the sweep, reusing layers
// the plan found unreferenced (the client sees them linked in the
// repository and does not upload them), keeps those layer links and
// blobs: the executor re-reads revisions before it deletes layer links
// and again before it deletes blobs.
func TestPushBetweenPlanAndSweep(t *testing.T) {
	t.Parallel()
	root, r, old := oldGarbage(t)
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
	sum, err := p.Execute(context.Background(), st, journaled(t, st, opts), nil)
	if err != nil {
		t.Fatal(err)
	}
	if saved := warningsWith(sum, "pushed since the plan"); saved < 2 {
		t.Errorf("want the two reused layer links kept with a warning each; warnings: %q", sum.Warnings)
	}
	layers := regtest.BlobsOf(t, old)[1:] // the config is not shared
	regtest.AssertExists(t, layerLinks(root, "a", layers...)...)
	regtest.AssertExists(t, blobFiles(root, layers...)...)
	r.AssertWhole(t, "a:new")
	r.AssertAllTagsWhole(t)
}

// A manifest the registry accepted just before its layer links went
// (verified while they existed) but whose revision appeared only after the
// sweep removed them gets its links back before the blobs are re-checked,
// and its blobs stay: the image pulls whole.
func TestLinksRestoredForManifestAcceptedDuringSweep(t *testing.T) {
	t.Parallel()
	root, r, old := oldGarbage(t)
	// The manifest being pushed: the old layers (and so the old config,
	// which names only them).
	late := regtest.NewImage(t, regtest.WithSharedLayers(regtest.LayersOf(t, old)...), regtest.WithLayers(0, 0))
	cfg, err := late.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := late.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	cfgDigest := regtest.BlobsOf(t, late)[0]
	st := openStorage(t, root)
	opts := untagged()
	p, err := gc.NewPlan(context.Background(), st, opts)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := p.Execute(context.Background(), st, journaled(t, st, opts), func(ph gc.Phase, _ int) {
		if ph != gc.PhaseLayerLinks {
			return
		}
		// What the registry writes after its checks: config, manifest, revision, tag.
		regtest.WriteBlobData(t, root, cfgDigest, cfg)
		regtest.WriteLink(t, regtest.LayerLink(root, "a", cfgDigest), cfgDigest.String())
		d := regtest.DigestOf(t, late)
		regtest.WriteBlobData(t, root, d, raw)
		regtest.WriteLink(t, regtest.RevisionLink(root, "a", d), d.String())
		regtest.WriteTagLink(t, root, "a", "late", d.String())
	})
	if err != nil {
		t.Fatal(err)
	}
	restored := warningsWith(sum, "restored")
	blobs := regtest.BlobsOf(t, old)
	if regtest.BlobsOf(t, late)[0] != blobs[0] || restored != len(blobs) {
		t.Errorf("want the links of the old config and layers (%d) restored; warnings: %q", len(blobs), sum.Warnings)
	}
	regtest.AssertExists(t, layerLinks(root, "a", blobs...)...)
	regtest.AssertExists(t, blobFiles(root, blobs...)...)
	r.AssertWhole(t, "a:late")
	r.AssertAllTagsWhole(t)
}

// warningsWith counts the summary's warnings that contain part.
func warningsWith(sum gc.Summary, part string) int {
	n := 0
	for _, w := range sum.Warnings {
		if strings.Contains(w, part) {
			n++
		}
	}
	return n
}
