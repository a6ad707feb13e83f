package commands

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/storage"
)

// oldRecord writes a record of a run that removed i:T11, started age ago.
func oldRecord(t *testing.T, root string, age time.Duration) string {
	t.Helper()
	ctx := context.Background()
	st, err := storage.Open(ctx, storage.Location{Root: root, How: "test"})
	if err != nil {
		t.Fatal(err)
	}
	j, err := st.NewJournal("regprune tag rm i:T11", time.Now().Add(-age))
	if err != nil {
		t.Fatal(err)
	}
	d, err := st.ReadLink(ctx, storage.TagCurrentLinkPath("i", "T11"))
	if err != nil {
		t.Fatal(err)
	}
	if err := j.RecordTags(ctx, []storage.Tag{{Repository: "i", Name: "T11", Digest: d}}, 1); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, regtest.JournalPath, j.Run())
}

// Records older than --journal-retention (30 days by default) are
// removed by the next changing run; younger ones stay.
func TestJournalRetention(t *testing.T) {
	t.Parallel()
	root, _ := regtest.LoadSample(t)
	old := oldRecord(t, root, 40*24*time.Hour)
	young := oldRecord(t, root, 20*24*time.Hour)
	mustRun(t, 0, "--root", root, "tag", "rm", "--journal-retention", "60d", "i:T12")
	regtest.AssertExists(t, old, young)
	mustRun(t, 0, "--root", root, "tag", "rm", "--dry-run", "i:T13")
	regtest.AssertExists(t, old)
	mustRun(t, 0, "--root", root, "gc")
	regtest.AssertMissing(t, old)
	regtest.AssertExists(t, young)
	mustRun(t, 0, "--root", root, "tag", "rm", "--journal-retention", "1w", "i:T13")
	regtest.AssertMissing(t, young)
	if n := len(regtest.Snapshot(t, root).JournalRecords()); n != 2 {
		t.Errorf("%d records left, want the two tag rm runs'", n)
	}
	for _, bad := range [][]string{
		{"tag", "rm", "--journal-retention", "0", "i:T21"},
		{"gc", "--keep-removed", "40d"},
		{"prune", "--keep-removed", "8d", "--journal-retention", "7d", "--repo", "i", "--keep-last", "1"},
	} {
		res := mustRun(t, exitUsage, append([]string{"--root", root}, bad...)...)
		if !strings.Contains(res.Stderr, "--journal-retention") {
			t.Errorf("%v: %s", bad, res.Stderr)
		}
	}
}

// A record that cannot be trusted is reported, never used in part: restore
// --list names it (exit 1), a window reaching it fails closed with nothing
// removed, and the other records still restore.
func TestJournalCorruptRecord(t *testing.T) {
	t.Parallel()
	r, _ := served(t)
	bad := oldRecord(t, r.Root, 2*24*time.Hour)
	b, err := os.ReadFile(bad)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-5] ^= 0x10
	regtest.WriteFile(t, bad, b)
	mustRun(t, 0, "--root", r.Root, "tag", "rm", "team/app:v1")
	res := mustRun(t, 1, "--root", r.Root, "restore", "--list")
	if !strings.Contains(res.Stdout, filepath.Base(bad)) || !strings.Contains(res.Stdout, "unreadable:") ||
		!strings.Contains(res.Stdout, "checksum does not match") || !strings.Contains(res.Stderr, "1 record of the journal cannot be read") {
		t.Errorf("restore --list with a corrupt record:\n%s%s", res.Stdout, res.Stderr)
	}
	before := regtest.Snapshot(t, r.Root)
	res = mustRun(t, 1, "--root", r.Root, "gc", "--delete-untagged", "--grace", "0", "--keep-removed", "7d")
	if !strings.Contains(res.Stderr, filepath.Base(bad)) || !strings.Contains(res.Stderr, "nothing was removed") {
		t.Errorf("gc --keep-removed over a corrupt record:\n%s", res.Stderr)
	}
	regtest.AssertUnchanged(t, r.Root, before)
	mustRun(t, 1, "--root", r.Root, "restore", filepath.Base(bad))
	mustRun(t, 0, "--root", r.Root, "restore", "team/app:v1")
	r.AssertWhole(t, "team/app:v1")
}

// A journal that cannot be written stops the run before it removes
// anything (here a file stands where the journal's directory goes).
func TestJournalWriteFailureRemovesNothing(t *testing.T) {
	t.Parallel()
	r, _ := served(t)
	regtest.WriteFile(t, filepath.Join(r.Root, regtest.JournalPath), []byte("not a directory"))
	before := regtest.Snapshot(t, r.Root)
	for _, args := range [][]string{
		{"tag", "rm", "i:T12"},
		{"prune", "--repo", "i", "--keep-last", "1", "--grace", "0"},
	} {
		res := mustRun(t, 1, append([]string{"--root", r.Root}, args...)...)
		if !strings.Contains(res.Stderr, "journal") || !strings.Contains(res.Stderr, "removed") {
			t.Errorf("%v with an unwritable journal:\n%s", args, res.Stderr)
		}
		after := regtest.Snapshot(t, r.Root)
		delete(after, "docker/registry/v2/.regprune.lock")
		after["docker/registry/v2"] = before["docker/registry/v2"]
		if d := before.Diff(after); len(d) > 0 {
			t.Errorf("%v changed the storage although its journal could not be written:\n%s", args, strings.Join(d, "\n"))
		}
	}
	r.AssertAllTagsWhole(t)
}
