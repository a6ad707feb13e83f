package restore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/restore"
	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
)

// removeWith removes refs (repository, tag pairs) through a journal of a
// run started at when, as the commands do, and returns the run's name.
func removeWith(t *testing.T, st *storage.Storage, when time.Time, refs ...[2]string) string {
	t.Helper()
	ctx := context.Background()
	j, err := st.NewJournal("test", when)
	if err != nil {
		t.Fatal(err)
	}
	var tags []storage.Tag
	for _, r := range refs {
		tag, err := scan.ReadTag(ctx, st, r[0], r[1])
		if err != nil {
			t.Fatal(err)
		}
		tags = append(tags, tag)
	}
	if _, _, err := scan.RemoveTags(ctx, st, j, tags, 2); err != nil {
		t.Fatal(err)
	}
	return j.Run()
}

func openSample(t *testing.T) (*storage.Storage, string) {
	t.Helper()
	root, _ := regtest.LoadSample(t)
	st, err := storage.Open(context.Background(), storage.Location{Root: root, How: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return st, root
}

// Runs are found by name or unique prefix; REFs by glob, each tag at its
// last removal; what matches nothing is an error naming it.
func TestSelect(t *testing.T) {
	t.Parallel()
	st, _ := openSample(t)
	ctx := context.Background()
	now := time.Now()
	first := removeWith(t, st, now.Add(-2*time.Hour), [2]string{"i", "T11"}, [2]string{"i", "T12"})
	// i:T11 is put back by hand and removed again by a later run.
	if _, err := st.WriteTag(ctx, "i", "T11", digestOf(t, st, "i", "T13"), now.Add(-time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	second := removeWith(t, st, now, [2]string{"i", "T11"}, [2]string{"team/app", "v1"})
	j, err := restore.Load(ctx, st)
	if err != nil || len(j.Runs) != 2 {
		t.Fatalf("Load = %+v, %v", j, err)
	}
	cs, err := j.Run(first[:20])
	if err != nil || len(cs) != 2 || cs[0].Run != first {
		t.Errorf("Run(prefix) = %+v, %v", cs, err)
	}
	if _, err := j.Run("20"); !errors.Is(err, storage.ErrUsage) {
		t.Errorf("Run(an ambiguous prefix) = %v", err)
	}
	if _, err := j.Run("20000101T000000Z-00000000"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Run(unknown) = %v", err)
	}
	cs, err = j.Refs([]string{"i:T1?", "team/*:v1"})
	if err != nil || len(cs) != 3 {
		t.Fatalf("Refs = %+v, %v", cs, err)
	}
	for _, c := range cs {
		if c.Tag.Ref() == "i:T11" && (c.Run != second || c.Tag.Digest != digestOf(t, st, "i", "T13")) {
			t.Errorf("i:T11 from run %s (%s), want its last removal (%s)", c.Run, c.Tag.Digest, second)
		}
	}
	if _, err := j.Refs([]string{"i:T9*"}); !errors.Is(err, storage.ErrNoMatch) {
		t.Errorf("Refs(no match) = %v", err)
	}
	if _, err := j.Refs([]string{"../x:y"}); !errors.Is(err, storage.ErrUsage) {
		t.Errorf("Refs(bad) = %v", err)
	}
}

func digestOf(t *testing.T, st *storage.Storage, repo, tag string) storage.Digest {
	t.Helper()
	d, err := st.ReadLink(context.Background(), storage.TagCurrentLinkPath(repo, tag))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Plan and Apply: restorable, present, pushed again, gone, no digest, and
// a tag whose index/ a stopped run half removed.
func TestPlanAndApply(t *testing.T) {
	t.Parallel()
	st, root := openSample(t)
	ctx := context.Background()
	if err := os.Remove(regtest.TagLink(root, "i", "T51")); err != nil {
		t.Fatal(err)
	}
	run := removeWith(t, st, time.Now(), [2]string{"i", "T12"}, [2]string{"i", "T21"}, [2]string{"i", "T22"},
		[2]string{"i", "T51"}, [2]string{"team/app/api", "v1"})
	// T21 pushed again (another manifest); the index's child revision gone.
	if _, err := st.WriteTag(ctx, "i", "T21", digestOf(t, st, "i", "T13"), time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	idx := mustRun(t, st, run)
	child := childOf(t, st, idx)
	if err := os.RemoveAll(filepath.Dir(filepath.Join(root, filepath.FromSlash(storage.RevisionLinkPath("team/app/api", child))))); err != nil {
		t.Fatal(err)
	}
	j, err := restore.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	cs, _ := j.Run(run)
	items, err := restore.Plan(ctx, st, j, cs, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]restore.Status{"i:T12": restore.Restorable, "i:T21": restore.Exists, "i:T22": restore.Restorable,
		"i:T51": restore.NoDigest, "team/app/api:v1": restore.Gone}
	for _, it := range items {
		if it.Status != want[it.Ref()] {
			t.Errorf("%s: %s (%s), want %s", it.Ref(), it.Status, it.Reason, want[it.Ref()])
		}
	}
	// A stopped removal of i:T22 put back but its history lost.
	if _, err := st.WriteTag(ctx, "i", "T22", cs[2].Tag.Digest, cs[2].Tag.Pushed, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(regtest.TagDir(root, "i", "T22"), "index")); err != nil {
		t.Fatal(err)
	}
	if items, err = restore.Plan(ctx, st, j, cs, 4); err != nil {
		t.Fatal(err)
	}
	out, err := restore.Apply(ctx, st, items, restore.Options{Jobs: 2, Journal: newJournal(t, st)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]restore.Status{}
	for _, it := range out {
		got[it.Ref()] = it.Status
	}
	if got["i:T12"] != restore.Restored || got["i:T22"] != restore.Restored || got["i:T21"] != restore.Exists {
		t.Errorf("after Apply: %v", got)
	}
	regtest.AssertExists(t, regtest.TagLink(root, "i", "T12"))
	for _, d := range cs[2].Tag.History {
		regtest.AssertExists(t, filepath.Join(root, filepath.FromSlash(storage.TagIndexLinkPath("i", "T22", d))))
	}
	if ps, err := scan.CheckImage(ctx, st, "i", "T12", cs[0].Tag.Digest, 2); err != nil || len(ps) != 0 {
		t.Errorf("restored i:T12: %v, %v", ps, err)
	}
}

func newJournal(t *testing.T, st *storage.Storage) *storage.Journal {
	t.Helper()
	j, err := st.NewJournal("restore test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// mustRun is the digest team/app/api:v1 had in run.
func mustRun(t *testing.T, st *storage.Storage, run string) storage.Digest {
	t.Helper()
	rec, err := st.ReadRun(context.Background(), run)
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range rec.Tags {
		if tag.Ref() == "team/app/api:v1" {
			return tag.Digest
		}
	}
	t.Fatal("team/app/api:v1 not recorded")
	return storage.Digest{}
}

func childOf(t *testing.T, st *storage.Storage, idx storage.Digest) storage.Digest {
	t.Helper()
	m, _, err := scan.NewManifests(st).Get(context.Background(), idx)
	if err != nil || len(m.Children) == 0 {
		t.Fatalf("index %s: %v", idx, err)
	}
	return m.Children[0].Digest
}
