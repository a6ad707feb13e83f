package gc

import (
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/regprune/regprune/storage"
)

// Removals as indexes: digests in the blob index and beside it (a blob
// missing from the store) hand out the same removals, sorted by
// repository and digest, and linkIndex finds each layer link removal.
func TestRemovalsAsIndexes(t *testing.T) {
	t.Parallel()
	var ds []storage.Digest
	for i := range 6 {
		ds = append(ds, storage.Digest(sha256.Sum256(fmt.Appendf(nil, "%d", i))))
	}
	p := &Plan{blobs: newBlobStore(append([]storage.Digest(nil), ds[:4]...)), repos: []string{"a", "a/b", "c"}}
	links := []struct {
		repo int32
		d    storage.Digest
	}{{2, ds[1]}, {0, ds[5]}, {0, ds[0]}, {2, ds[4]}, {0, ds[3]}}
	for _, l := range links {
		p.links = append(p.links, linkRemoval{repo: l.repo, ref: p.ref(l.d)})
	}
	if p.ref(ds[5]) != p.ref(ds[5]) || len(p.extra) != 2 {
		t.Fatalf("extra digests %d, want 2 (each once)", len(p.extra))
	}
	p.sortRemovals()
	var prev LayerLinkRemoval
	for i, l := range p.LayerLinks() {
		if i > 0 && (prev.Repository > l.Repository || prev.Repository == l.Repository && prev.Digest.Compare(l.Digest) >= 0) {
			t.Errorf("removal %d (%s@%s) not after %s@%s", i, l.Repository, l.Digest, prev.Repository, prev.Digest)
		}
		if got := p.linkIndex(l.Repository, l.Digest); got != i {
			t.Errorf("linkIndex(%s, %s) = %d, want %d", l.Repository, l.Digest, got, i)
		}
		prev = l
	}
	for _, miss := range []struct {
		repo string
		d    storage.Digest
	}{{"a", ds[1]}, {"a/b", ds[0]}, {"b", ds[0]}, {"c", ds[2]}} {
		if got := p.linkIndex(miss.repo, miss.d); got != -1 {
			t.Errorf("linkIndex(%s, %s) = %d, want -1", miss.repo, miss.d, got)
		}
	}
}
