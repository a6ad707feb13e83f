package gc_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/regprune/regprune/gc"
	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/storage"
)

// --keep-removed: the manifest of a removed tag in the window is marked as
// a tag's would be, with what it reaches and its referrers; the plan
// counts it and the bytes only it keeps, which are exactly what gc frees
// without the window.
func TestKeepRemovedWindow(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	r := regtest.Start(t, src)
	gone := r.PushImage(t, "app:v1", regtest.WithLayers(2, 4096))
	subject := regtest.DigestOf(t, gone)
	sig := r.PushCosignSignature(t, "app", subject)
	r.PushImage(t, "app:v2", regtest.WithLayers(1, 512))
	r.PushImage(t, "other:v1", regtest.WithLayers(1, 512))
	untag(t, src, "app", "v1")

	without := regtest.CopyTree(t, src)
	p := collect(t, without, untagged())
	if p.KeptRemoved != 0 || p.FreedBytes() == 0 || len(p.Tags) != 1 {
		t.Fatalf("without a window: kept %d, freed %d, tags %v", p.KeptRemoved, p.FreedBytes(), p.Tags)
	}

	opts := untagged()
	opts.KeepRemoved = map[string][]storage.Digest{
		"app":   {dg(t, subject)},
		"other": {dg(t, subject)}, // not a revision of other: nothing to keep there
	}
	with := regtest.CopyTree(t, src)
	pw := collect(t, with, opts)
	if pw.KeptRemoved != 1 || pw.KeptRemovedBytes != p.FreedBytes() {
		t.Errorf("with a window: kept %d images, %d bytes; want 1 and %d (what gc frees without it)",
			pw.KeptRemoved, pw.KeptRemovedBytes, p.FreedBytes())
	}
	if c := pw.Counts(); c.Tags+c.Manifests+c.Blobs+c.LayerLinks != 0 {
		t.Errorf("with a window gc still removes %+v", c)
	}
	s := pw.Summary(false)
	if s.KeptRemoved != 1 || s.KeptRemovedBytes != pw.KeptRemovedBytes {
		t.Errorf("summary %+v", s)
	}
	regtest.AssertExists(t, regtest.RevisionLink(with, "app", subject),
		regtest.RevisionLink(with, "app", regtest.DigestOf(t, sig)),
		regtest.TagLink(with, "app", regtest.FallbackTag(subject)+".sig"))
	for _, l := range regtest.LayersOf(t, gone) {
		d, _ := l.Digest()
		regtest.AssertExists(t, regtest.LayerLink(with, "app", d), regtest.BlobFile(with, d))
	}
}

// Execute records the referrer tags and revisions it removes before it
// removes any, and refuses to remove them without a journal.
func TestExecuteJournals(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	subject := regtest.DigestOf(t, r.PushImage(t, "app:v1"))
	r.PushCosignSignature(t, "app", subject)
	r.PushImage(t, "app:v2")
	untag(t, root, "app", "v1")
	st := openStorage(t, root)
	ctx := context.Background()
	p, err := gc.NewPlan(ctx, st, untagged())
	if err != nil {
		t.Fatal(err)
	}
	before := regtest.Snapshot(t, root)
	if _, err := p.Execute(ctx, st, untagged(), nil); err == nil || !strings.Contains(err.Error(), "no journal") {
		t.Errorf("Execute without a journal = %v", err)
	}
	regtest.AssertUnchanged(t, root, before)

	opts := journaled(t, st, untagged())
	if _, err := p.Execute(ctx, st, opts, nil); err != nil {
		t.Fatal(err)
	}
	rec, err := st.ReadRun(ctx, opts.Journal.Run())
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Tags) != 1 || rec.Tags[0].Tag != regtest.FallbackTag(subject)+".sig" || len(rec.Tags[0].History) != 1 {
		t.Errorf("recorded tags %+v", rec.Tags)
	}
	collected := map[storage.Digest]bool{}
	for _, m := range rec.Collected {
		collected[m.Digest] = m.Repository == "app"
	}
	if len(collected) != p.Counts().Manifests || !collected[dg(t, subject)] {
		t.Errorf("recorded %d collected manifests (subject %v), plan removed %d", len(collected), collected[dg(t, subject)], p.Counts().Manifests)
	}
}

// A journal that cannot be written: nothing is removed.
func TestExecuteJournalFailure(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	r.PushImage(t, "app:v1")
	r.PushImage(t, "app:v2")
	untag(t, root, "app", "v1")
	regtest.WriteFile(t, root+"/docker/registry/v2/.regprune/journal", []byte("a file where the directory goes"))
	st := openStorage(t, root)
	p, err := gc.NewPlan(context.Background(), st, untagged())
	if err != nil {
		t.Fatal(err)
	}
	before := regtest.Snapshot(t, root)
	sum, err := p.Execute(context.Background(), st, journaled(t, st, untagged()), nil)
	if err == nil || !strings.Contains(err.Error(), "nothing was removed") || sum.Removed != (gc.Counts{}) {
		t.Errorf("Execute with an unwritable journal = %+v, %v", sum, err)
	}
	if errors.Is(err, storage.ErrInterrupted) {
		t.Errorf("reported as an interruption: %v", err)
	}
	regtest.AssertUnchanged(t, root, before)
}
