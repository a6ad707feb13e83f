package hostile

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/service/s3"
	"github.com/regprune/regprune/internal/minio"
	"github.com/regprune/regprune/internal/regtest"
)

// TestS3SiblingPrefix: a registry at rootdirectory /registry beside
// /registry-backup, which holds the same-looking keys (a copy made by
// pushing the same images, then more: tags removed, untagged
// revisions, stray keys). Every changing command, run on /registry,
// leaves every object under /registry-backup as it was (key, size, ETag,
// time), and what /registry's tags reach still pulls whole. Skipped when
// MinIO is missing (scripts/install-minio.sh).
func TestS3SiblingPrefix(t *testing.T) {
	t.Parallel()
	srv := minio.Start(t)
	bucket := srv.NewBucket(t)
	params := func(root string) map[string]interface{} {
		p := srv.Params(bucket)
		p["rootdirectory"] = root
		return p
	}
	live := regtest.StartS3(t, params("/registry"))
	backup := regtest.StartS3(t, params("/registry-backup"))
	for _, r := range []*regtest.Registry{live, backup} {
		img := regtest.NewImage(t, regtest.WithSeed(7), regtest.WithLayers(2, 512))
		r.Write(t, "app:v1", img)
		r.Write(t, "app:old", regtest.NewImage(t, regtest.WithSeed(8), regtest.WithLayers(1, 512)))
		r.PushIndex(t, "team/api:v1", regtest.NewImage(t, regtest.WithSeed(9), regtest.WithPlatform("linux", "amd64")),
			regtest.NewImage(t, regtest.WithSeed(10), regtest.WithPlatform("linux", "arm64")))
		r.Write(t, "team/api:old", regtest.NewImage(t, regtest.WithSeed(11)))
	}
	// In the backup only: untagged revisions and stray keys gc would
	// remove if it listed them as its own.
	writeConfig := func(root string) string {
		p := filepath.Join(t.TempDir(), "config.yml")
		yml := strings.Replace(srv.ConfigYAML(bucket), "  s3:\n", "  s3:\n    rootdirectory: "+root+"\n", 1)
		if err := os.WriteFile(p, []byte(yml), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if r := run(t, "--config", writeConfig("/registry-backup"), "tag", "rm", "app:old", "team/api:old"); r.Code != 0 {
		t.Fatalf("setup: %s", r)
	}
	c := srv.Client(t)
	for _, k := range []string{"registry-backup/docker/registry/v2/repositories/app/_uploads/5d1ae2c4-51d5-4d0e-9a4a-1a2b3c4d5e6f/startedat",
		"registry-backup/docker/registry/v2/.regprune.lock", "registry-backupx", "registry-/docker/registry/v2/blobs/sha256/ab/x"} {
		if _, err := c.PutObject(&s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k),
			Body: strings.NewReader("2020-01-01T00:00:00Z")}); err != nil {
			t.Fatal(err)
		}
	}
	before := objects(t, c, bucket, "registry-")
	cfg := writeConfig("/registry")
	logf := filepath.Join(t.TempDir(), "access.log")
	line := `127.0.0.1 - - [02/Dec/2026:06:59:51 +0000] "GET /v2/app/manifests/v1 HTTP/1.1" 200 423 "" "crane"` + "\n"
	if err := os.WriteFile(logf, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"tag", "rm", "app:old"},
		{"restore", "app:old"},
		{"tag", "rm", "app:old"},
		{"prune", "--repo", "team/*", "--tag", "old", "--grace", "0"},
		{"gc", "--delete-untagged", "--grace", "0", "--uploads-older-than", "0s"},
		{"pulls", "record", logf},
		{"gc", "--delete-untagged", "--grace", "0"},
	} {
		r := run(t, append([]string{"--config", cfg}, args...)...)
		if r.Code != 0 {
			t.Errorf("%s", r)
		}
		if d := diffObjects(before, objects(t, c, bucket, "registry-")); d != "" {
			t.Fatalf("%s\nobjects outside /registry changed:\n%s", r, d)
		}
	}
	live.AssertAllTagsWhole(t)
	backup.AssertAllTagsWhole(t)
	live.AssertGone(t, "team/api:old")
	live.AssertGone(t, "app:old")
}

// objects lists every object whose key begins with prefix: key -> size,
// ETag and modification time.
func objects(t testing.TB, c *s3.S3, bucket, prefix string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := c.ListObjectsV2Pages(&s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)},
		func(p *s3.ListObjectsV2Output, _ bool) bool {
			for _, o := range p.Contents {
				out[*o.Key] = fmt.Sprintf("%d %s %s", *o.Size, *o.ETag, o.LastModified.UTC())
			}
			return true
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no object under %s", prefix)
	}
	return out
}

func diffObjects(before, after map[string]string) string {
	var d []string
	for k, v := range before {
		if w, ok := after[k]; !ok {
			d = append(d, "removed "+k)
		} else if w != v {
			d = append(d, "changed "+k)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			d = append(d, "created "+k)
		}
	}
	sort.Strings(d)
	return strings.Join(d, "\n")
}
