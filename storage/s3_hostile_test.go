package storage

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/service/s3"
	"github.com/docker/distribution/registry/storage/driver"
	"github.com/regprune/regprune/internal/minio"
)

// s3Tree is a bucket holding a registry under rootdirectory /registry,
// next to prefixes that share its first characters.
type s3Tree struct {
	client *s3.S3
	bucket string
	st     *Storage
}

var s3Siblings = []string{"registry-backup/", "registry2/", "registry.old/"}

func newS3Tree(t *testing.T, srv *minio.Server) *s3Tree {
	t.Helper()
	bucket := srv.NewBucket(t)
	tr := &s3Tree{client: srv.Client(t), bucket: bucket}
	for _, prefix := range append([]string{"registry/"}, s3Siblings...) {
		for _, p := range hostilePaths() {
			tr.put(t, prefix+p[1:], hRev.String())
		}
		tr.put(t, prefix+TagCurrentLinkPath("app-old", "v1")[1:], hRev.String())
	}
	cfg := strings.Replace(srv.ConfigYAML(bucket), "  s3:\n", "  s3:\n    rootdirectory: /registry\n", 1)
	p := filepath.Join(t.TempDir(), "config.yml")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := Open(context.Background(), Location{Config: p, How: "--config"})
	if err != nil {
		t.Fatal(err)
	}
	tr.st = st
	return tr
}

// put writes key k (any bytes: the driver is bypassed).
func (tr *s3Tree) put(t *testing.T, k, content string) error {
	t.Helper()
	_, err := tr.client.PutObject(&s3.PutObjectInput{Bucket: aws.String(tr.bucket), Key: aws.String(k),
		Body: strings.NewReader(content)})
	return err
}

// keys lists every key beginning with prefix, with its ETag.
func (tr *s3Tree) keys(t *testing.T, prefix string) []string {
	t.Helper()
	var out []string
	err := tr.client.ListObjectsV2Pages(&s3.ListObjectsV2Input{Bucket: aws.String(tr.bucket), Prefix: aws.String(prefix),
		EncodingType: aws.String(s3.EncodingTypeUrl)},
		func(page *s3.ListObjectsV2Output, _ bool) bool {
			for _, o := range page.Contents {
				out = append(out, aws.StringValue(o.Key)+" "+aws.StringValue(o.ETag))
			}
			return true
		})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// Nothing outside the root prefix is read for a decision or deleted, not
// even prefixes sharing its first characters (registry-backup/), nor
// repositories or tags sharing a name's first characters (app-old).
func testS3SiblingPrefixes(t *testing.T, srv *minio.Server) {
	ctx := context.Background()
	tr := newS3Tree(t, srv)
	before := map[string][]string{}
	for _, p := range s3Siblings {
		before[p] = tr.keys(t, p)
	}
	st := tr.st
	c, err := st.Catalog(ctx, 4)
	if err != nil || strings.Join(c.Repositories, " ") != "app app-old other" || len(c.Stray) != 0 {
		t.Errorf("Catalog = %+v, %v", c, err)
	}
	if _, err := st.Stat(ctx, TagPath("app", "v")); !errors.Is(err, ErrNotFound) {
		t.Errorf("Stat of tag v next to v1: %v, want ErrNotFound (a prefix is no directory)", err)
	}
	leaves := []Leaf{RevisionLeaf("app", hRev), LayerLinkLeaf("app", hLayer), BlobLeaf(hBlob), TagIndexLeaf("app", "v1", hRev)}
	if _, err := st.StatLeaves(ctx, len(leaves), 2, func(i int) Leaf { return leaves[i] }); err != nil {
		t.Error(err)
	}
	if err := st.DeleteLeaves(ctx, len(leaves), 2, func(i int) Leaf { return leaves[i] }, func(int) {}); err != nil {
		t.Error(err)
	}
	if err := st.WriteState(ctx, "journal/1", []byte("j")); err != nil {
		t.Error(err)
	}
	if err := st.Delete(ctx, UploadPath("app", hUpload)); err != nil {
		t.Error(err)
	}
	if err := st.deleteTag(ctx, "app", "v1"); err != nil {
		t.Error(err)
	}
	if err := st.Delete(ctx, RepositoryPath("app")); err != nil {
		t.Error(err)
	}
	if repos, err := st.Repositories(ctx, 4); err != nil || strings.Join(repos, " ") != "app-old other" {
		t.Errorf("Repositories after deleting app = %v, %v", repos, err)
	}
	for _, p := range s3Siblings {
		if after := tr.keys(t, p); strings.Join(after, "\n") != strings.Join(before[p], "\n") {
			t.Errorf("%s changed:\n%s\nwas:\n%s", p, strings.Join(after, "\n"), strings.Join(before[p], "\n"))
		}
	}
}

// Keys below the root that no driver path can name ("//", "..", odd
// bytes) are listed as such, never followed, and refuse a delete of what
// holds them; a path with ".." is refused before any request.
func testS3OddKeys(t *testing.T, srv *minio.Server) {
	ctx := context.Background()
	tr := newS3Tree(t, srv)
	tags := "registry" + TagsPath("app")
	var odd []string
	for _, k := range []string{tags + "/v1//link", tags + "/v1/../../../../../../../../registry-backup/x",
		tags + "/v1/index/sha256/" + hRev.Hex() + "/./link", tags + "/odd\x01name/current/link", tags + "/v1/caf\u00e9"} {
		if err := tr.put(t, k, "x"); err != nil {
			t.Logf("MinIO refuses key %q: %v", k, err)
			continue
		}
		odd = append(odd, k)
	}
	if len(odd) == 0 {
		t.Skip("MinIO accepts none of the odd keys")
	}
	before := tr.keys(t, "registry/")
	es, err := tr.st.ListEntries(ctx, TagPath("app", "v1"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		if !e.Addressable() {
			names = append(names, e.Name)
		}
	}
	if len(names) == 0 {
		t.Errorf("ListEntries(v1) = %v: no odd name listed (odd keys %q)", es, odd)
	}
	err = tr.st.Delete(ctx, TagPath("app", "v1"))
	if !errors.Is(err, ErrAnomaly) || !errors.Is(err, ErrOddName) {
		t.Errorf("Delete of a tag holding odd keys: %v, want ErrOddName", err)
	}
	for _, p := range []string{"/docker/../../registry-backup" + TagCurrentLinkPath("app", "v1"), TagPath("app", "v1") + "//link"} {
		if _, err := tr.st.ReadFile(ctx, p, 100); !errors.As(err, new(driver.InvalidPathError)) {
			t.Errorf("ReadFile(%q) = %v, want an invalid path", p, err)
		}
		if err := tr.st.Delete(ctx, p); !errors.As(err, new(driver.InvalidPathError)) {
			t.Errorf("Delete(%q) = %v, want an invalid path", p, err)
		}
	}
	if after := tr.keys(t, "registry/"); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("the root changed:\n%s\nwas:\n%s", strings.Join(after, "\n"), strings.Join(before, "\n"))
	}
}

// Reads are bounded on S3 too: a range of the bound plus one byte; an
// empty object reads empty.
func testS3BoundedReads(t *testing.T, srv *minio.Server) {
	ctx := context.Background()
	tr := newS3Tree(t, srv)
	link := TagCurrentLinkPath("app", "v1")
	tr.put(t, "registry"+link, hRev.String()+"\n")
	if _, err := tr.st.ReadLink(ctx, link); !errors.Is(err, ErrBadLink) || !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadLink of 72 bytes: %v", err)
	}
	tr.put(t, "registry"+BlobDataPath(hBlob), strings.Repeat("x", MaxManifestSize+1))
	if _, err := tr.st.ReadManifest(ctx, hBlob); !errors.Is(err, ErrBadManifest) || !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadManifest beyond 4 MiB: %v", err)
	}
	tr.put(t, "registry"+link, "")
	if b, err := tr.st.ReadFile(ctx, link, 71); err != nil || len(b) != 0 {
		t.Errorf("ReadFile of an empty object = %q, %v", b, err)
	}
	if _, err := tr.st.ReadFile(ctx, TagCurrentLinkPath("app", "none"), 71); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadFile of a missing object: %v", err)
	}
}

// Open refuses a root whose repositories directory exists only as the
// first characters of another prefix (repositories-old/).
func testS3OpenExact(t *testing.T, srv *minio.Server) {
	bucket := srv.NewBucket(t)
	tr := &s3Tree{client: srv.Client(t), bucket: bucket}
	tr.put(t, RepositoriesPath()[1:]+"-old/app/_manifests/tags/v1/current/link", hRev.String())
	_, err := Open(context.Background(), Location{Config: srv.WriteConfig(t, t.TempDir(), bucket), How: "--config"})
	if !errors.Is(err, ErrNotRegistry) {
		t.Errorf("Open of a bucket with only repositories-old/: %v, want ErrNotRegistry", err)
	}
}
