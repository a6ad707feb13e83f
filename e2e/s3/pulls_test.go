package s3

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/distribution/registry/storage/driver"
	"github.com/docker/distribution/registry/storage/driver/factory"
	"github.com/regprune/regprune/internal/cli"
	"github.com/regprune/regprune/internal/faults"
	"github.com/regprune/regprune/internal/minio"
	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/storage"
)

// testS3PullHistory: the pull history lives in the bucket, next to the
// lock object, written with one PUT and not rewritten when unchanged; a
// prune by pulls on S3 keeps exactly the pulled tag.
func testS3PullHistory(t *testing.T, srv *minio.Server) {
	bucket := srv.NewBucket(t)
	l := regtest.StartS3Logged(t, srv.Params(bucket), regtest.LogOptions{AccessLog: true})
	cfg := srv.WriteConfig(t, t.TempDir(), bucket)
	for _, ref := range []string{"app:used", "app:idle", "web:idle"} {
		l.PushImage(t, ref, regtest.WithLayers(1, 256))
	}
	time.Sleep(4 * time.Second) // the pushes are older than the window below
	pullStart := time.Now()
	l.AssertWhole(t, "app:used")
	time.Sleep(200 * time.Millisecond)
	log := filepath.Join(t.TempDir(), "registry.log")
	if err := os.WriteFile(log, []byte(l.Log.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	puts := func(args ...string) int {
		t.Helper()
		d := new(*faults.Driver)
		wrap := storage.WithDriverWrapper(func(inner driver.StorageDriver) driver.StorageDriver {
			*d = faults.Wrap(inner)
			return *d
		})
		var out, errb bytes.Buffer
		code := cli.Run(context.Background(), append([]string{"regprune", "--config", cfg}, args...), &out, &errb, cli.WithStorageOptions(wrap))
		if code != 0 {
			t.Fatalf("regprune %v: exit %d\n%s", args, code, errb.String())
		}
		return (*d).Counts()[faults.PutContent]
	}
	first := puts("pulls", "record", log)
	again := puts("pulls", "record", log)
	if first-again != 1 {
		t.Errorf("recording wrote the history with %d PUTs (%d, then %d unchanged: the lock's)", first-again, first, again)
	}
	raw := s3Driver(t, srv, bucket)
	data, err := raw.GetContent(context.Background(), storage.StateFilePath("pull-history.gz"))
	if err != nil || len(data) == 0 {
		t.Fatalf("history object: %d bytes, %v", len(data), err)
	}

	window := fmt.Sprintf("%ds", int(time.Since(pullStart.Add(-3*time.Second)).Seconds()))
	out := mustRun(t, 0, "--config", cfg, "--json", "prune", "--keep-pulled-within", window, "--grace", "0")
	var doc struct {
		RemovedTags []struct{ Repository, Tag string } `json:"removed_tags"`
	}
	if err := json.Unmarshal([]byte(out.Stdout), &doc); err != nil || len(doc.RemovedTags) != 2 {
		t.Fatalf("prune: %v\n%s", err, out.Stdout)
	}
	l.AssertGone(t, "app:idle")
	l.AssertGone(t, "web:idle")
	l.AssertAllTagsWhole(t)
	if ls := mustRun(t, 0, "--config", cfg, "pulls", "ls").Stdout; !strings.Contains(ls, "app         used") {
		t.Errorf("pulls ls on S3:\n%s", ls)
	}
}

func s3Driver(t *testing.T, srv *minio.Server, bucket string) driver.StorageDriver {
	t.Helper()
	raw, err := factory.Create("s3", srv.Params(bucket))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
