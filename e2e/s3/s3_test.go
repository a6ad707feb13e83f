package s3

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/docker/distribution/registry/storage/driver"
	"github.com/docker/distribution/registry/storage/driver/factory"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/regprune/regprune/internal/minio"
	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/storage"
)

// TestS3 runs the commands, unchanged, on a real distribution registry
// whose storage is a MinIO bucket (distribution's s3 driver on both
// sides), one bucket per case, one MinIO for all. Skipped with the reason
// when MinIO is missing (scripts/install-minio.sh); CI requires it.
func TestS3(t *testing.T) {
	srv := minio.Start(t)
	cases := map[string]func(*testing.T, *s3Env){
		"SeedCase":        testS3SeedCase,
		"TagNextToLonger": testS3TagNextToLonger,
		"MultiPlatformGC": testS3MultiPlatform,
		"Referrers":       testS3Referrers,
		"PruneByAge":      testS3PruneByAge,
		"CheckDamage":     testS3CheckDamage,
		"LockObject":      testS3LockObject,
		"LockObjectStale": testS3LockStale,
		"JournalRestore":  testS3JournalRestore,
		"ParallelListing": testS3ParallelListings,
		"BlobStoreStray":  testS3BlobStoreStray,
		"RefCache":        testS3RefCache,
	}
	// Not parallel: it sets a process environment variable.
	t.Run("ConfigEnvOverride", func(t *testing.T) { testS3ConfigEnvOverride(t, newS3Env(t, srv)) })
	t.Run("PullHistory", func(t *testing.T) {
		t.Parallel()
		testS3PullHistory(t, srv)
	})
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, newS3Env(t, srv))
		})
	}
}

// s3Env is one bucket: a registry serving it, a config.yml naming it and
// the raw s3 driver on it (to look and to damage).
type s3Env struct {
	srv    *minio.Server
	bucket string
	r      *regtest.Registry
	cfg    string
	raw    driver.StorageDriver
}

func newS3Env(t *testing.T, srv *minio.Server) *s3Env {
	t.Helper()
	e := &s3Env{srv: srv, bucket: srv.NewBucket(t)}
	e.r = regtest.StartS3(t, srv.Params(e.bucket))
	e.cfg = srv.WriteConfig(t, t.TempDir(), e.bucket)
	raw, err := factory.Create("s3", srv.Params(e.bucket))
	if err != nil {
		t.Fatal(err)
	}
	e.raw = raw
	return e
}

// run runs regprune on the bucket (through --config) and wants code.
func (e *s3Env) run(t *testing.T, code int, args ...string) result {
	t.Helper()
	return mustRun(t, code, append([]string{"--config", e.cfg}, args...)...)
}

func (e *s3Env) gc(t *testing.T, extra ...string) gcSummaryJSON {
	t.Helper()
	out := e.run(t, 0, append([]string{"--json", "gc", "--delete-untagged", "--grace", "0"}, extra...)...)
	var s gcSummaryJSON
	if err := json.Unmarshal([]byte(out.Stdout), &s); err != nil {
		t.Fatalf("gc --json: %v\n%s", err, out.Stdout)
	}
	return s
}

type gcSummaryJSON struct {
	FreedBytes int64          `json:"freed_bytes"`
	Removed    map[string]int `json:"removed"`
	Warnings   []string       `json:"warnings"`
}

func (s gcSummaryJSON) total() int {
	n := 0
	for _, v := range s.Removed {
		n += v
	}
	return n
}

// blobExists says whether blob d's data object is in the bucket.
func (e *s3Env) blobExists(t *testing.T, d v1.Hash) bool {
	t.Helper()
	_, err := e.raw.Stat(context.Background(), storage.BlobDataPath(sdigest(t, d)))
	if err != nil {
		if _, ok := err.(driver.PathNotFoundError); ok {
			return false
		}
		t.Fatalf("stat blob %s: %v", d, err)
	}
	return true
}

func (e *s3Env) assertBlobs(t *testing.T, want bool, ds ...v1.Hash) {
	t.Helper()
	for _, d := range ds {
		if got := e.blobExists(t, d); got != want {
			t.Errorf("blob %s in the bucket: %v, want %v", d, got, want)
		}
	}
}

func sdigest(t *testing.T, d v1.Hash) storage.Digest {
	t.Helper()
	sd, err := storage.ParseDigest(d.String())
	if err != nil {
		t.Fatal(err)
	}
	return sd
}

// The seed case on S3: remove T12, T22 and T52; T13 (T12's manifest)
// stays whole; gc frees exactly their unique blobs; a second gc is a no-op.
func testS3SeedCase(t *testing.T, e *s3Env) {
	info := regtest.Sample(t, e.r)
	out := e.run(t, 0, "--json", "tag", "ls")
	var rows []struct{ Repository, Tag, Digest string }
	if err := json.Unmarshal([]byte(out.Stdout), &rows); err != nil || len(rows) != len(info.Tags) {
		t.Fatalf("tag ls: %v, %d rows for %d tags\n%s", err, len(rows), len(info.Tags), out.Stdout)
	}
	for _, row := range rows {
		if info.Tags[row.Repository+":"+row.Tag].String() != row.Digest {
			t.Errorf("tag ls row %+v, want digest %s", row, info.Tags[row.Repository+":"+row.Tag])
		}
	}
	if !strings.Contains(out.Stderr, "s3 storage") {
		t.Errorf("stderr does not say which storage:\n%s", out.Stderr)
	}
	e.run(t, 0, "tag", "rm", "i:T12", "i:T22", "i:T52")
	for _, tag := range []string{"i:T12", "i:T22", "i:T52"} {
		e.r.AssertGone(t, tag)
	}
	e.r.AssertWhole(t, "i:T13")
	unique := info.UniqueBlobs("i:T12", "i:T22", "i:T52")
	e.assertBlobs(t, true, unique...)
	s := e.gc(t)
	if s.Removed["blobs"] < len(unique) || s.FreedBytes <= 0 {
		t.Errorf("gc summary %+v, want at least %d blobs", s, len(unique))
	}
	e.assertBlobs(t, false, unique...)
	e.assertBlobs(t, true, info.Base, info.SeedShared)
	e.r.AssertAllTagsWhole(t)
	if again := e.gc(t); again.total() != 0 {
		t.Errorf("second gc removed %+v", again.Removed)
	}
	e.run(t, 0, "check", "--verify-digests")
	e.run(t, 0, "scan")
}

// Removing tag v1 removes v1 only, next to v1-rc and v1.0 (whose keys sort
// before v1/ and trip the v2.8.3 s3 driver's Delete).
func testS3TagNextToLonger(t *testing.T, e *s3Env) {
	for _, tag := range []string{"v1", "v1-rc", "v1.0", "v10"} {
		e.r.PushImage(t, "app:"+tag, regtest.WithLayers(1, 256))
	}
	e.run(t, 0, "tag", "rm", "app:v1")
	e.r.AssertGone(t, "app:v1")
	for _, tag := range []string{"v1-rc", "v1.0", "v10"} {
		e.r.AssertWhole(t, "app:"+tag)
	}
	e.run(t, 0, "tag", "rm", "app:v1-rc", "app:v1.0")
	e.r.AssertWhole(t, "app:v10")
	if tags := e.r.Tags(t)["app"]; len(tags) != 1 || tags[0] != "v10" {
		t.Errorf("tags left: %v, want [v10]", tags)
	}
}

// A tagged multi-platform index and an index of indexes keep their
// untagged children under --delete-untagged; untagged images go.
func testS3MultiPlatform(t *testing.T, e *s3Env) {
	kids := []v1.Image{
		regtest.NewImage(t, regtest.WithPlatform("linux", "amd64"), regtest.WithLayers(1, 256)),
		regtest.NewImage(t, regtest.WithPlatform("linux", "arm64"), regtest.WithLayers(1, 256)),
	}
	idx := e.r.PushIndex(t, "multi:v1", kids...)
	e.r.PushIndexOf(t, "multi:all", idx)
	gone := e.r.PushImage(t, "multi:old", regtest.WithLayers(1, 256))
	e.run(t, 0, "tag", "rm", "multi:old")
	e.gc(t)
	for _, k := range kids {
		e.assertBlobs(t, true, regtest.BlobsOf(t, k)...)
	}
	e.assertBlobs(t, false, regtest.BlobsOf(t, gone)...)
	e.r.AssertAllTagsWhole(t)
}

// Referrer and cosign tags stay while their subject lives and go with it.
func testS3Referrers(t *testing.T, e *s3Env) {
	info := regtest.Sample(t, e.r)
	e.gc(t)
	e.r.AssertWhole(t, info.ReferrerTag)
	e.r.AssertWhole(t, info.SignatureTag)
	e.run(t, 0, "tag", "rm", regtest.AppRepo+":v1", regtest.NestedRepo+":1.0")
	e.gc(t)
	e.r.AssertGone(t, info.ReferrerTag)
	e.r.AssertGone(t, info.SignatureTag)
	e.assertBlobs(t, false, info.Referrer, info.Signature, info.Subject)
	e.r.AssertAllTagsWhole(t)
}

// Push times are the objects' modification times: tags pushed before a
// pause are older than --older-than, tags pushed after it are not.
func testS3PruneByAge(t *testing.T, e *s3Env) {
	old := []v1.Image{e.r.PushImage(t, "age:old1", regtest.WithLayers(1, 256)), e.r.PushImage(t, "age:old2", regtest.WithLayers(1, 256))}
	e.r.PushImage(t, "keep:other", regtest.WithLayers(1, 256))
	time.Sleep(5 * time.Second)
	e.r.PushImage(t, "age:new", regtest.WithLayers(1, 256))
	e.run(t, 0, "prune", "--repo", "age", "--older-than", "4s", "--grace", "0")
	e.r.AssertGone(t, "age:old1")
	e.r.AssertGone(t, "age:old2")
	e.r.AssertWhole(t, "age:new")
	e.r.AssertWhole(t, "keep:other")
	for _, img := range old {
		e.assertBlobs(t, false, regtest.BlobsOf(t, img)...)
	}
	e.r.AssertAllTagsWhole(t)
}

// check finds a deleted layer and a truncated config through the driver.
func testS3CheckDamage(t *testing.T, e *s3Env) {
	ctx := context.Background()
	a := e.r.PushImage(t, "dmg:a", regtest.WithLayers(1, 256))
	b := e.r.PushImage(t, "dmg:b", regtest.WithLayers(1, 256))
	e.r.PushImage(t, "fine:v1", regtest.WithLayers(1, 256))
	e.run(t, 0, "check", "--verify-digests")
	layer, config := regtest.BlobsOf(t, a)[1], regtest.BlobsOf(t, b)[0]
	if err := e.raw.Delete(ctx, storage.BlobDataPath(sdigest(t, layer))); err != nil {
		t.Fatal(err)
	}
	if err := e.raw.PutContent(ctx, storage.BlobDataPath(sdigest(t, config)), []byte("{}")); err != nil {
		t.Fatal(err)
	}
	out := e.run(t, 1, "--json", "check", "--verify-digests")
	var doc struct {
		Problems []struct{ Repository, Digest, Kind string } `json:"problems"`
	}
	if err := json.Unmarshal([]byte(out.Stdout), &doc); err != nil {
		t.Fatalf("check --json: %v\n%s", err, out.Stdout)
	}
	found := map[string]string{}
	for _, p := range doc.Problems {
		found[p.Digest] = p.Repository + " " + p.Kind
	}
	bad := found[config.String()]
	if found[layer.String()] != "dmg blob-missing" || (bad != "dmg blob-size-mismatch" && bad != "dmg digest-mismatch") || len(found) != 2 {
		t.Errorf("problems %+v; want blob-missing %s and a bad blob %s in dmg", doc.Problems, layer, config)
	}
	e.run(t, 0, "check", "--repo", "fine")
}

func (e *s3Env) putLock(t *testing.T, host string) {
	t.Helper()
	b := fmt.Sprintf(`{"host":%q,"pid":4242,"started":"2024-01-01T00:00:00Z","command":"regprune gc","token":"x"}`, host)
	if err := e.raw.PutContent(context.Background(), storage.LockPath(), []byte(b)); err != nil {
		t.Fatal(err)
	}
}

func (e *s3Env) lockPresent(t *testing.T) bool {
	t.Helper()
	_, err := e.raw.Stat(context.Background(), storage.LockPath())
	return err == nil
}

// A fresh lock object of another run refuses changing commands (exit 3,
// naming its host); dry runs and reads go on; --force-unlock removes it;
// every run removes its own object at the end.
func testS3LockObject(t *testing.T, e *s3Env) {
	e.r.PushImage(t, "app:v1", regtest.WithLayers(1, 256))
	e.r.PushImage(t, "app:v2", regtest.WithLayers(1, 256))
	e.putLock(t, "builder-7")
	out := e.run(t, 3, "tag", "rm", "app:v1")
	if !strings.Contains(out.Stderr, "builder-7") || !strings.Contains(out.Stderr, "--force-unlock") {
		t.Errorf("refusal does not name the holder:\n%s", out.Stderr)
	}
	e.run(t, 3, "gc", "--delete-untagged")
	e.r.AssertWhole(t, "app:v1")
	e.run(t, 0, "tag", "rm", "--dry-run", "app:v1")
	e.run(t, 0, "tag", "ls")
	out = e.run(t, 0, "--force-unlock", "tag", "rm", "app:v1")
	if !strings.Contains(out.Stderr, "builder-7") {
		t.Errorf("--force-unlock does not say whose lock it removed:\n%s", out.Stderr)
	}
	e.r.AssertGone(t, "app:v1")
	if e.lockPresent(t) {
		t.Error("lock object left after the run")
	}
	e.gc(t)
	if e.lockPresent(t) {
		t.Error("lock object left after gc")
	}
	e.r.AssertAllTagsWhole(t)
}

// A lock object older than --lock-stale is taken over with a warning.
func testS3LockStale(t *testing.T, e *s3Env) {
	e.r.PushImage(t, "app:v1", regtest.WithLayers(1, 256))
	e.putLock(t, "crashed-host")
	time.Sleep(2 * time.Second)
	out := e.run(t, 0, "--lock-stale", "1s", "tag", "rm", "app:v1")
	if !strings.Contains(out.Stderr, "stale") || !strings.Contains(out.Stderr, "crashed-host") {
		t.Errorf("stale takeover not reported:\n%s", out.Stderr)
	}
	if e.lockPresent(t) {
		t.Error("lock object left after the run")
	}
}

// REGISTRY_STORAGE_S3_* overrides apply as in the registry: a wrong
// bucket in the file is corrected by the environment.
func testS3ConfigEnvOverride(t *testing.T, e *s3Env) {
	e.r.PushImage(t, "app:v1", regtest.WithLayers(1, 256))
	wrong := e.srv.WriteConfig(t, t.TempDir(), "no-such-bucket")
	out := mustRun(t, 1, "--config", wrong, "tag", "ls")
	if !strings.Contains(out.Stderr, "no-such-bucket") && !strings.Contains(out.Stderr, "NoSuchBucket") {
		t.Errorf("wrong bucket not reported:\n%s", out.Stderr)
	}
	t.Setenv("REGISTRY_STORAGE_S3_BUCKET", e.bucket)
	out = mustRun(t, 0, "--config", wrong, "tag", "ls")
	if !strings.Contains(out.Stdout, "v1") {
		t.Errorf("tag ls with the override:\n%s", out.Stdout)
	}
}
