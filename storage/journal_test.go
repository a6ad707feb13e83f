//go:build linux

package storage

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/regtest"
)

// readSampleTag reads tag of repo as the commands do before removing it.
func readSampleTag(t *testing.T, st *Storage, repo, tag string) Tag {
	t.Helper()
	p := TagCurrentLinkPath(repo, tag)
	d, err := st.ReadLink(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	mt, err := st.ModTime(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return Tag{Repository: repo, Name: tag, Digest: d, Pushed: mt}
}

// A tag is removed only once recorded, and the record (written before)
// holds its digest, push time and history; a tag not recorded stays.
func TestJournalRecordsBeforeRemoval(t *testing.T) {
	t.Parallel()
	st, root := openSample(t)
	ctx := context.Background()
	start := time.Now()
	j, err := st.NewJournal("regprune tag rm i:T12", start)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.DeleteTag(ctx, "i", "T12"); !errors.Is(err, ErrNotJournaled) {
		t.Errorf("DeleteTag of an unrecorded tag = %v, want ErrNotJournaled", err)
	}
	regtest.AssertExists(t, regtest.TagLink(root, "i", "T12"))
	if j.Written() {
		t.Error("a journal with nothing recorded was written")
	}
	tag := readSampleTag(t, st, "i", "T12")
	hist, err := st.ListDigests(ctx, TagIndexPath("i", "T12"))
	if err != nil || len(hist) == 0 {
		t.Fatalf("history of i:T12: %v, %v", hist, err)
	}
	if err := j.RecordTags(ctx, []Tag{tag, tag}, 2); err != nil {
		t.Fatal(err)
	}
	rec, err := st.ReadRun(ctx, j.Run())
	if err != nil {
		t.Fatal(err)
	}
	want := []JournalTag{{Repository: "i", Tag: "T12", Digest: tag.Digest, Pushed: tag.Pushed.UTC(), History: hist}}
	if !reflect.DeepEqual(rec.Tags, want) || rec.Command != "regprune tag rm i:T12" || !rec.Time.Equal(start) {
		t.Errorf("record = %+v\nwant tags %+v", rec, want)
	}
	if err := j.DeleteTag(ctx, "i", "T12"); err != nil {
		t.Fatal(err)
	}
	regtest.AssertMissing(t, regtest.TagDir(root, "i", "T12"))
	if err := j.DeleteTag(ctx, "i", "T13"); !errors.Is(err, ErrNotJournaled) {
		t.Errorf("DeleteTag of another tag = %v, want ErrNotJournaled", err)
	}
	regtest.AssertExists(t, regtest.TagLink(root, "i", "T13"))
}

// A journal that cannot be written records nothing: the tag cannot be
// removed through it.
func TestJournalWriteFailureRecordsNothing(t *testing.T) {
	t.Parallel()
	st, root := openSample(t)
	ctx := context.Background()
	// A symbolic link where the journal goes: refused, never followed.
	outside := t.TempDir()
	state := filepath.Join(regtest.V2Dir(root), StateDir)
	if err := os.MkdirAll(state, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(state, JournalDir)); err != nil {
		t.Fatal(err)
	}
	j, err := st.NewJournal("regprune tag rm i:T12", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	err = j.RecordTags(ctx, []Tag{readSampleTag(t, st, "i", "T12")}, 1)
	if !errors.Is(err, ErrSymlink) {
		t.Errorf("RecordTags through a linked journal = %v, want ErrSymlink", err)
	}
	if err := j.DeleteTag(ctx, "i", "T12"); !errors.Is(err, ErrNotJournaled) {
		t.Errorf("DeleteTag after a failed record = %v, want ErrNotJournaled", err)
	}
	regtest.AssertExists(t, regtest.TagLink(root, "i", "T12"))
	if es, _ := os.ReadDir(outside); len(es) != 0 {
		t.Errorf("the journal was written outside the root: %v", es)
	}
}

// writeRecord writes a record of a run started at when, holding tags.
func writeRecord(t *testing.T, st *Storage, when time.Time, tags ...Tag) string {
	t.Helper()
	j, err := st.NewJournal("test", when)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.RecordTags(context.Background(), tags, 1); err != nil {
		t.Fatal(err)
	}
	return j.Run()
}

// Old records go; a corrupt record is reported (never used in part) and,
// when a window needs it, an error.
func TestJournalReadPruneAndWindow(t *testing.T) {
	t.Parallel()
	st, root := openSample(t)
	ctx := context.Background()
	now := time.Now()
	old := writeRecord(t, st, now.Add(-40*24*time.Hour), readSampleTag(t, st, "i", "T11"))
	week := writeRecord(t, st, now.Add(-7*24*time.Hour), readSampleTag(t, st, "i", "T12"))
	recent := writeRecord(t, st, now.Add(-time.Hour), readSampleTag(t, st, "team/app", "v1"))
	runs, err := st.ReadJournal(ctx, time.Time{})
	if err != nil || len(runs) != 3 || runs[0].Name != old || runs[2].Name != recent {
		t.Fatalf("ReadJournal = %+v, %v", runs, err)
	}
	removed, err := st.RemovedSince(ctx, now.Add(-24*time.Hour))
	if err != nil || len(removed) != 1 || len(removed["team/app"]) != 1 || removed["team/app"][0].Tag != "v1" {
		t.Errorf("RemovedSince(1 day) = %v, %v", removed, err)
	}
	gone, err := st.PruneJournal(ctx, now.Add(-30*24*time.Hour))
	if err != nil || strings.Join(gone, " ") != old {
		t.Errorf("PruneJournal = %v, %v; want %s", gone, err, old)
	}
	regtest.AssertMissing(t, filepath.Join(regtest.V2Dir(root), StateDir, JournalDir, old))

	// Damage the week-old record: listed with its error, and fatal to a
	// window that reaches it, not to one that does not.
	p := filepath.Join(regtest.V2Dir(root), StateDir, JournalDir, week)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-3] ^= 1
	regtest.WriteFile(t, p, b)
	runs, err = st.ReadJournal(ctx, time.Time{})
	if err != nil || len(runs) != 2 || !errors.Is(runs[0].Err, ErrBadJournal) || runs[0].Record != nil || runs[1].Err != nil {
		t.Errorf("ReadJournal with a corrupt record = %+v, %v", runs, err)
	}
	if _, err := st.RemovedSince(ctx, now.Add(-8*24*time.Hour)); !errors.Is(err, ErrBadJournal) || !strings.Contains(err.Error(), week) {
		t.Errorf("RemovedSince over a corrupt record = %v, want ErrBadJournal naming %s", err, week)
	}
	if r, err := st.RemovedSince(ctx, now.Add(-24*time.Hour)); err != nil || len(r) != 1 {
		t.Errorf("RemovedSince(1 day) past a corrupt older record = %v, %v", r, err)
	}
}

// WriteTag puts a removed tag back byte for byte, with its push time; a
// symbolic link on the way is refused and nothing outside is written.
func TestWriteTag(t *testing.T) {
	t.Parallel()
	st, root := openSample(t)
	ctx := context.Background()
	tag := readSampleTag(t, st, "i", "T12")
	pushed := time.Date(2025, 3, 4, 5, 6, 7, 890123456, time.UTC)
	regtest.SetPushed(t, root, "i", "T12", pushed)
	before := regtest.Snapshot(t, root)
	hist, _ := st.ListDigests(ctx, TagIndexPath("i", "T12"))
	if err := st.deleteTag(ctx, "i", "T12"); err != nil {
		t.Fatal(err)
	}
	kept, err := st.WriteTag(ctx, "i", "T12", tag.Digest, pushed, hist)
	if err != nil || !kept {
		t.Fatalf("WriteTag = %v, %v", kept, err)
	}
	regtest.AssertUnchanged(t, root, before)
	if mt, err := st.ModTime(ctx, TagCurrentLinkPath("i", "T12")); err != nil || !mt.Equal(pushed) {
		t.Errorf("push time after WriteTag = %v, %v; want %v", mt, err, pushed)
	}

	outside := t.TempDir()
	dir := regtest.TagDir(root, "i", "T13")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, dir); err != nil {
		t.Fatal(err)
	}
	if _, err := st.WriteTag(ctx, "i", "T13", tag.Digest, pushed, nil); !errors.Is(err, ErrSymlink) {
		t.Errorf("WriteTag through a linked tag directory = %v, want ErrSymlink", err)
	}
	if es, _ := os.ReadDir(outside); len(es) != 0 {
		t.Errorf("WriteTag wrote outside the root: %v", es)
	}
}
