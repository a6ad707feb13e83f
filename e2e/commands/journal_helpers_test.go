package commands

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/storage"
)

// newRecords lists the journal records after holds that before did not.
func newRecords(before, after regtest.Tree) []string {
	var out []string
	for _, r := range after.JournalRecords() {
		if !slices.Contains(before.JournalRecords(), r) {
			out = append(out, r)
		}
	}
	return out
}

// journaledTags is the sorted repository:tag of every tag held by the one
// journal record the run added (after, of root, against before).
func journaledTags(t *testing.T, root string, before, after regtest.Tree) []string {
	t.Helper()
	recs := newRecords(before, after)
	if len(recs) != 1 {
		t.Errorf("the run added %d journal records (%q), want 1", len(recs), recs)
		return nil
	}
	return recordedRefs(readRecord(t, root, recs[0]))
}

// readRecord reads and decodes a journal record of the storage at root.
func readRecord(t *testing.T, root, run string) *storage.JournalRecord {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, regtest.JournalPath, run))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := storage.DecodeJournal(b)
	if err != nil {
		t.Fatalf("record %s: %v", run, err)
	}
	return rec
}

// recordedRefs is the sorted repository:tag of the tags rec holds.
func recordedRefs(rec *storage.JournalRecord) []string {
	var out []string
	for _, tag := range rec.Tags {
		out = append(out, tag.Ref())
	}
	slices.Sort(out)
	return out
}
