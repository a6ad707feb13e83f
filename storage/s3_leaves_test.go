package storage

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/docker/distribution/registry/storage/driver"
	"github.com/docker/distribution/registry/storage/driver/factory"
	"github.com/regprune/regprune/internal/minio"
)

// openS3Root opens a new bucket under a rootdirectory, both raw (the
// driver) and as regprune opens it: bulk listing and deletion must map
// keys back to driver paths under the prefix.
func openS3Root(t *testing.T, srv *minio.Server) (driver.StorageDriver, *Storage) {
	t.Helper()
	bucket := srv.NewBucket(t)
	params := srv.Params(bucket)
	params["rootdirectory"] = "/reg/root"
	raw, err := factory.Create("s3", params)
	if err != nil {
		t.Fatal(err)
	}
	put(t, raw, RepositoriesPath()+"/app/_manifests/tags/v1/current/link", "x")
	cfg := strings.Replace(srv.ConfigYAML(bucket), "  s3:\n", "  s3:\n    rootdirectory: /reg/root\n", 1)
	p := filepath.Join(t.TempDir(), "config.yml")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := Open(context.Background(), Location{Config: p, How: "--config"})
	if err != nil {
		t.Fatal(err)
	}
	if st.objects == nil {
		t.Fatal("no bulk object access on S3")
	}
	return raw, st
}

func digestOf(s string) Digest { return Digest(sha256.Sum256([]byte(s))) }

// StatLeaves and DeleteLeaves in bulk (one listing per root, batched
// DeleteObjects) answer as the one-object-at-a-time driver calls do, and
// delete exactly the leaves asked for, with anything beneath them.
func testS3Leaves(t *testing.T, srv *minio.Server) {
	ctx := context.Background()
	raw, st := openS3Root(t, srv)
	r1, r2, r3, r4, gone := digestOf("r1"), digestOf("r2"), digestOf("r3"), digestOf("r4"), digestOf("gone")
	b1, b2 := digestOf("b1"), digestOf("b2")
	put(t, raw, RevisionLinkPath("app", r1), r1.String())
	put(t, raw, RevisionLinkPath("app", r2), r2.String())
	put(t, raw, RevisionPath("app", r2)+"/extra", "junk beside the link")
	put(t, raw, RevisionPath("app", r3)+"/sub/x", "a leaf without its link")
	put(t, raw, RevisionLinkPath("app", r4), r4.String()) // a neighbour not asked for
	put(t, raw, BlobDataPath(b1), "blob one")
	put(t, raw, BlobDataPath(b2), "blob two, kept")
	put(t, raw, LayerLinkPath("app", b1), b1.String())
	put(t, raw, TagIndexLinkPath("app", "v1", r1), r1.String())
	leaves := []Leaf{RevisionLeaf("app", r1), RevisionLeaf("app", r2), RevisionLeaf("app", r3), RevisionLeaf("app", gone),
		BlobLeaf(b1), LayerLinkLeaf("app", b1), TagIndexLeaf("app", "v1", r1)}
	leaf := func(i int) Leaf { return leaves[i] }

	bulk, err := st.StatLeaves(ctx, len(leaves), 4, leaf)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range leaves {
		one, err := st.StatLeaves(ctx, 1, 1, func(int) Leaf { return l }) // one leaf: the driver's Stat
		if err != nil {
			t.Fatal(err)
		}
		if bulk[i] != one[0] {
			t.Errorf("%s: bulk %+v, driver %+v", l.Dir, bulk[i], one[0])
		}
	}
	if !bulk[0].Exists || bulk[0].Size != int64(len(r1.String())) || bulk[0].ModTime.IsZero() {
		t.Errorf("revision r1: %+v, want its link's size and time", bulk[0])
	}
	if !bulk[2].Exists || !bulk[2].ModTime.IsZero() || bulk[3].Exists {
		t.Errorf("r3 (no link) %+v, want a directory; gone %+v, want missing", bulk[2], bulk[3])
	}

	var mu sync.Mutex
	doneCount := make([]int, len(leaves))
	if err := st.DeleteLeaves(ctx, len(leaves), 4, leaf, func(i int) { mu.Lock(); doneCount[i]++; mu.Unlock() }); err != nil {
		t.Fatal(err)
	}
	for i, n := range doneCount {
		if n != 1 {
			t.Errorf("%s reported done %d times, want once", leaves[i].Dir, n)
		}
	}
	var left []string
	err = raw.Walk(ctx, V2Path, func(fi driver.FileInfo) error {
		if !fi.IsDir() {
			left = append(left, fi.Path())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(left)
	want := []string{BlobDataPath(b2), RevisionLinkPath("app", r4), TagCurrentLinkPath("app", "v1")}
	sort.Strings(want)
	if fmt.Sprint(left) != fmt.Sprint(want) {
		t.Errorf("left after DeleteLeaves:\n%s\nwant:\n%s", strings.Join(left, "\n"), strings.Join(want, "\n"))
	}
}
