package gc_test

import (
	"testing"

	"github.com/regprune/regprune/internal/regtest"
)

// The seed case: remove i:T12, i:T22 and i:T52 from the sample, then gc
// --delete-untagged. Their unique data is gone, T13 (T12's manifest) is
// whole, shared layers stay, every other tag pulls whole.
func TestSeedCase(t *testing.T) {
	t.Parallel()
	root, info := regtest.LoadSample(t)
	r := regtest.Start(t, root)
	for _, tag := range []string{"T12", "T22", "T52"} {
		untag(t, root, regtest.SeedRepo, tag)
	}
	p := collect(t, root, untagged())

	unique := info.UniqueBlobs("i:T12", "i:T22", "i:T52")
	if len(unique) == 0 {
		t.Fatal("sample: T22 and T52 should have unique blobs")
	}
	regtest.AssertMissing(t, blobFiles(root, unique...)...)
	regtest.AssertMissing(t, revisions(root, regtest.SeedRepo, info.Tags["i:T22"], info.Tags["i:T52"])...)
	regtest.AssertExists(t, blobFiles(root, info.Base, info.SeedShared)...)
	regtest.AssertExists(t, revisions(root, regtest.SeedRepo, info.SeedShared)...)
	// team/app:latest's first push is untagged: collected, with its history entry.
	regtest.AssertMissing(t, regtest.RevisionLink(root, regtest.AppRepo, info.HistoryOld),
		regtest.TagIndexLink(root, regtest.AppRepo, "latest", info.HistoryOld))
	// The index's untagged children, the referrer and the signature stay.
	regtest.AssertExists(t, revisions(root, regtest.APIRepo, info.Children...)...)
	regtest.AssertExists(t, regtest.RevisionLink(root, regtest.AppRepo, info.Referrer),
		regtest.RevisionLink(root, regtest.NestedRepo, info.Signature))
	if len(p.Tags) != 0 || len(p.Repositories) != 0 {
		t.Errorf("removed tags %v, repositories %v", p.Tags, p.Repositories)
	}
	if p.FreedBytes() <= 0 || len(p.Warnings) != 0 {
		t.Errorf("freed %d bytes, warnings %q", p.FreedBytes(), p.Warnings)
	}
	r.AssertWhole(t, "i:T13")
	r.AssertAllTagsWhole(t)
}
