package reliability

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/storage"
)

// The journal under faults and kills (issue 16): whatever a stopped run
// removed, its journal records; a journal write that fails removes
// nothing.

const repositoriesPath = "docker/registry/v2/repositories/"

// treeTags lists the tags (repository:tag with a current link) and the
// manifest revisions (repository@sha256:hex) of a tree.
func treeTags(tree regtest.Tree) (tags, revisions map[string]bool) {
	tags, revisions = map[string]bool{}, map[string]bool{}
	for p, e := range tree {
		rest, ok := strings.CutPrefix(p, repositoriesPath)
		if !ok || e.Kind != "file" {
			continue
		}
		if repo, tail, ok := strings.Cut(rest, "/_manifests/tags/"); ok {
			if tag, ok := strings.CutSuffix(tail, "/current/link"); ok && !strings.Contains(tag, "/") {
				tags[repo+":"+tag] = true
			}
		}
		if repo, tail, ok := strings.Cut(rest, "/_manifests/revisions/sha256/"); ok {
			if hex, ok := strings.CutSuffix(tail, "/link"); ok && !strings.Contains(hex, "/") {
				revisions[repo+"@sha256:"+hex] = true
			}
		}
	}
	return tags, revisions
}

// journalOf reads every record of root's journal; an unreadable one fails t.
func journalOf(t *testing.T, root string) []*storage.JournalRecord {
	t.Helper()
	dir := filepath.Join(root, filepath.FromSlash(regtest.JournalPath))
	es, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []*storage.JournalRecord
	for _, e := range es {
		if strings.HasPrefix(e.Name(), ".") {
			continue // a write the run did not finish
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		rec, err := storage.DecodeJournal(b)
		if err != nil {
			t.Errorf("journal record %s: %v", e.Name(), err)
			continue
		}
		out = append(out, rec)
	}
	return out
}

// assertJournalCovers fails t unless every tag and manifest revision of
// base that root no longer holds is recorded in root's journal (a tag in
// its Tags, with the digest base's tag held; a revision in Collected). It
// returns the tags removed.
func assertJournalCovers(t *testing.T, base regtest.Tree, root string) []string {
	t.Helper()
	baseTags, baseRevs := treeTags(base)
	nowTags, nowRevs := treeTags(regtest.Snapshot(t, root))
	recTags, recRevs := map[string]bool{}, map[string]bool{}
	for _, rec := range journalOf(t, root) {
		for _, tag := range rec.Tags {
			recTags[tag.Ref()] = true
		}
		for _, m := range rec.Collected {
			recRevs[m.Repository+"@"+m.Digest.String()] = true
		}
	}
	var removed []string
	for ref := range baseTags {
		if !nowTags[ref] {
			removed = append(removed, ref)
			if !recTags[ref] {
				t.Errorf("tag %s was removed, but no journal record holds it", ref)
			}
		}
	}
	for rev := range baseRevs {
		if !nowRevs[rev] && !recRevs[rev] {
			t.Errorf("manifest %s was removed, but no journal record holds it", rev)
		}
	}
	sort.Strings(removed)
	return removed
}

// registryFiles is a tree without regprune's own files (journal, lock):
// what the registry serves from.
func registryFiles(tree regtest.Tree) regtest.Tree {
	out := tree.WithoutJournal()
	delete(out, "docker/registry/v2/.regprune.lock")
	delete(out, "docker/registry/v2/.regprune")
	delete(out, "docker/registry/v2")
	return out
}

// isJournalWrite reports whether p is a write of the journal.
func isJournalWrite(p string) bool {
	return strings.Contains(p, "/"+storage.StateDir+"/"+storage.JournalDir+"/")
}
