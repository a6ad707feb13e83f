package storage

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/docker/distribution/registry/storage/driver"
	"github.com/docker/distribution/registry/storage/driver/factory"
	"github.com/regprune/regprune/internal/minio"
)

// TestS3 runs the storage layer against a real MinIO, one bucket per case.
func TestS3(t *testing.T) {
	srv := minio.Start(t)
	lockObjectSettle, lockObjectPoll = 50*time.Millisecond, 50*time.Millisecond
	cases := map[string]func(*testing.T, *minio.Server){
		"DeleteNextToLongerSibling": testS3DeleteSibling,
		"MissingPrefixIsEmpty":      testS3MissingPrefix,
		"LockObject":                testS3LockObject,
		"LockObjectStaleAndForce":   testS3LockStaleForce,
		"LockObjectRefreshed":       testS3LockRefresh,
		"BulkLeaves":                testS3Leaves,
		"ListBlobs":                 testS3ListBlobs,
		"Snapshot":                  testS3Snapshot,
		"Links":                     testS3Links,
		"SiblingPrefixes":           testS3SiblingPrefixes,
		"OddKeys":                   testS3OddKeys,
		"BoundedReads":              testS3BoundedReads,
		"OpenExact":                 testS3OpenExact,
		"StampedListings":           testS3StampedListings,
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, srv)
		})
	}
}

// openS3 returns the raw s3 driver of a new bucket holding a minimal
// registry tree, and the same bucket opened as regprune opens it.
func openS3(t *testing.T, srv *minio.Server) (driver.StorageDriver, *Storage) {
	t.Helper()
	ctx := context.Background()
	bucket := srv.NewBucket(t)
	raw, err := factory.Create("s3", srv.Params(bucket))
	if err != nil {
		t.Fatal(err)
	}
	put(t, raw, RepositoriesPath()+"/app/_manifests/tags/v1/current/link", "x")
	st, err := Open(ctx, Location{Config: srv.WriteConfig(t, t.TempDir(), bucket), How: "--config"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Type != "s3" || st.LocalRoot != "" {
		t.Fatalf("opened %q (local root %q), want the s3 driver", st.Type, st.LocalRoot)
	}
	return raw, st
}

func put(t *testing.T, d driver.StorageDriver, p, content string) {
	t.Helper()
	if err := d.PutContent(context.Background(), p, []byte(content)); err != nil {
		t.Fatal(err)
	}
}

func exists(t *testing.T, d driver.StorageDriver, p string) bool {
	t.Helper()
	_, err := d.GetContent(context.Background(), p)
	if err != nil && !isNotFound(err) {
		t.Fatal(err)
	}
	return err == nil
}

// The v2.8.3 driver's Delete of tag v1 stops at key "v1-rc/..." (which
// sorts before "v1/") and deletes nothing; Storage.Delete deletes v1 only.
func testS3DeleteSibling(t *testing.T, srv *minio.Server) {
	ctx := context.Background()
	raw, st := openS3(t, srv)
	tags := RepositoriesPath() + "/app/_manifests/tags/"
	for _, tag := range []string{"v1-rc", "v1.0", "v10"} {
		put(t, raw, tags+tag+"/current/link", "x")
	}
	put(t, raw, tags+"v1/index/sha256/"+strings.Repeat("a", 64)+"/link", "x")
	if err := raw.Delete(ctx, tags+"v1"); err != nil {
		t.Fatalf("raw delete: %v", err)
	}
	if !exists(t, raw, tags+"v1/current/link") {
		t.Log("the raw s3 driver deleted v1 next to v1-rc: its Delete bug is fixed in this version")
	}
	if err := st.Delete(ctx, TagPath("app", "v1")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"v1/current/link", "v1/index/sha256/" + strings.Repeat("a", 64) + "/link"} {
		if exists(t, raw, tags+p) {
			t.Errorf("%s survived Storage.Delete", p)
		}
	}
	for _, tag := range []string{"v1-rc", "v1.0", "v10"} {
		if !exists(t, raw, tags+tag+"/current/link") {
			t.Errorf("tag %s was deleted with v1", tag)
		}
	}
}

// S3 has no directories: a prefix with no keys lists empty, deletes fine.
func testS3MissingPrefix(t *testing.T, srv *minio.Server) {
	ctx := context.Background()
	_, st := openS3(t, srv)
	names, err := st.ListNames(ctx, RepositoryPath("nothing/here"))
	if err != nil || len(names) != 0 {
		t.Fatalf("ListNames of a missing prefix = %v, %v; want empty", names, err)
	}
	if err := st.Delete(ctx, RepositoryPath("nothing")); err != nil {
		t.Fatalf("Delete of a missing prefix: %v", err)
	}
	if _, err := st.Stat(ctx, BlobDataPath(Digest{})); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Stat of a missing blob: %v, want ErrNotFound", err)
	}
	repos, err := st.Repositories(ctx, 4)
	if err != nil || len(repos) != 1 || repos[0] != "app" {
		t.Fatalf("Repositories = %v, %v; want [app]", repos, err)
	}
}

func readHolder(t *testing.T, raw driver.StorageDriver) (LockHolder, bool) {
	t.Helper()
	b, err := raw.GetContent(context.Background(), LockPath())
	if isNotFound(err) {
		return LockHolder{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	var h LockHolder
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatalf("lock object %q: %v", b, err)
	}
	return h, true
}

// One run holds the lock object; a second is refused, naming the holder,
// also after waiting; the object goes at Unlock.
func testS3LockObject(t *testing.T, srv *minio.Server) {
	ctx := context.Background()
	raw, st := openS3(t, srv)
	lk, err := st.LockWith(ctx, LockOptions{Command: "regprune gc --first"})
	if err != nil {
		t.Fatal(err)
	}
	h, ok := readHolder(t, raw)
	if !ok || h.Command != "regprune gc --first" || h.Host == "" || h.PID == 0 || h.Started.IsZero() {
		t.Fatalf("lock object = %+v (present %v)", h, ok)
	}
	var waiting []string
	_, err = st.LockWith(ctx, LockOptions{Command: "second", Wait: 1200 * time.Millisecond,
		Waiting: func(held string) { waiting = append(waiting, held) }})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), h.Host) ||
		!strings.Contains(err.Error(), "regprune gc --first") || !strings.Contains(err.Error(), "waited 1.2s") {
		t.Fatalf("second lock: %v; want ErrLocked naming host and command", err)
	}
	// Told once, while it waited, whose lock it waits for.
	if len(waiting) != 1 || !strings.Contains(waiting[0], "lock object") || !strings.Contains(waiting[0], h.Host) ||
		!strings.Contains(waiting[0], "regprune gc --first") {
		t.Errorf("Waiting told %q; want once, naming the lock object, host and command", waiting)
	}
	if err := lk.Unlock(); err != nil {
		t.Fatal(err)
	}
	if _, ok := readHolder(t, raw); ok {
		t.Fatal("lock object left after Unlock")
	}
	lk2, err := st.LockWith(ctx, LockOptions{Command: "second"})
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	if err := lk2.Unlock(); err != nil {
		t.Fatal(err)
	}
}

// A lock object older than Stale is taken over; ForceUnlock removes a
// fresh one; both say so. An unreadable object locks like any other. A run
// whose object was removed by force does not remove its successor's.
func testS3LockStaleForce(t *testing.T, srv *minio.Server) {
	ctx := context.Background()
	raw, st := openS3(t, srv)
	put(t, raw, LockPath(), "garbage")
	_, err := st.LockWith(ctx, LockOptions{})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "unknown holder") {
		t.Fatalf("unreadable lock object: %v, want ErrLocked", err)
	}
	time.Sleep(1500 * time.Millisecond)
	var warned []string
	w := func(s string) { warned = append(warned, s) }
	lk, err := st.LockWith(ctx, LockOptions{Stale: time.Second, Warn: w})
	if err != nil || len(warned) != 1 || !strings.Contains(warned[0], "stale") {
		t.Fatalf("stale takeover: %v, warnings %q", err, warned)
	}
	if err := lk.Unlock(); err != nil {
		t.Fatal(err)
	}
	put(t, raw, LockPath(), `{"host":"deadhost","pid":42,"command":"regprune gc","token":"t"}`)
	if _, err := st.LockWith(ctx, LockOptions{}); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "deadhost") {
		t.Fatalf("fresh lock object: %v, want ErrLocked naming deadhost", err)
	}
	warned = nil
	first, err := st.LockWith(ctx, LockOptions{ForceUnlock: true, Warn: w, Command: "first"})
	if err != nil || len(warned) != 1 || !strings.Contains(warned[0], "deadhost") {
		t.Fatalf("force unlock: %v, warnings %q", err, warned)
	}
	second, err := st.LockWith(ctx, LockOptions{ForceUnlock: true, Command: "second"})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Unlock(); !errors.Is(err, ErrLocked) {
		t.Errorf("Unlock of a lock removed by force: %v, want ErrLocked", err)
	}
	if h, _ := readHolder(t, raw); h.Command != "second" {
		t.Fatalf("the displaced run touched its successor's lock object: %+v", h)
	}
	if err := second.Unlock(); err != nil {
		t.Fatal(err)
	}
}

// A long run refreshes its object, so it never looks stale.
func testS3LockRefresh(t *testing.T, srv *minio.Server) {
	ctx := context.Background()
	raw, st := openS3(t, srv)
	lk, err := st.LockWith(ctx, LockOptions{Stale: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := readHolder(t, raw)
	time.Sleep(3 * time.Second)
	later, ok := readHolder(t, raw)
	if !ok || !later.Refreshed.After(first.Refreshed) || later.Token != first.Token {
		t.Fatalf("lock object not refreshed: %+v then %+v", first, later)
	}
	if _, err := st.LockWith(ctx, LockOptions{Stale: 2 * time.Second}); !errors.Is(err, ErrLocked) {
		t.Fatalf("a refreshed lock object was taken over: %v", err)
	}
	if err := lk.Unlock(); err != nil {
		t.Fatal(err)
	}
}
