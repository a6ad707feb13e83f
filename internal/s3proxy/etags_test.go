package s3proxy

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/service/s3"
	"github.com/regprune/regprune/internal/minio"
)

// With an ETag rewrite, listings (plain, url-encoded, gzip-compressed
// large ones) and GET and HEAD responses carry the rewritten ETags of
// their keys, signatures still accepted; without, the server's.
func testETagRewrite(t *testing.T, srv *minio.Server) {
	p, ep := startProxy(t, srv, time.Millisecond)
	c := client(t, ep)
	bucket := srv.NewBucket(t)
	keys := []string{"a/one", "a/two two", "a/" + strings.Repeat("x", 200)}
	for i := range 300 { // a listing large enough to be compressed
		keys = append(keys, fmt.Sprintf("a/many/%04d", i))
	}
	etags := map[string]string{}
	for _, k := range keys {
		out := must(c.PutObject(&s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader(k)}))(t)
		etags[k] = strings.Trim(aws.StringValue(out.ETag), `"`)
	}
	rewrite := func(key, etag string) string { return "kms-" + key[len(key)-1:] + "-" + etag[:8] }
	p.SetETagRewrite(rewrite)
	for _, enc := range []*string{nil, aws.String(s3.EncodingTypeUrl)} {
		seen := 0
		err := c.ListObjectsV2Pages(&s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("a/"), EncodingType: enc},
			func(page *s3.ListObjectsV2Output, _ bool) bool {
				for _, o := range page.Contents {
					k := aws.StringValue(o.Key)
					if enc != nil {
						k = strings.ReplaceAll(k, "+", " ")
					}
					if got, want := strings.Trim(aws.StringValue(o.ETag), `"`), rewrite(k, etags[k]); got != want {
						t.Errorf("listed %s: ETag %s, want %s", k, got, want)
					}
					seen++
				}
				return true
			})
		noErr(t, err)
		if seen != len(keys) {
			t.Errorf("listed %d keys, want %d", seen, len(keys))
		}
	}
	get := must(c.GetObject(&s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("a/one")}))(t)
	get.Body.Close()
	head := must(c.HeadObject(&s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("a/one")}))(t)
	for _, e := range []*string{get.ETag, head.ETag} {
		if got := strings.Trim(aws.StringValue(e), `"`); got != rewrite("a/one", etags["a/one"]) {
			t.Errorf("GET/HEAD ETag %s", got)
		}
	}
	p.SetETagRewrite(nil)
	head = must(c.HeadObject(&s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("a/one")}))(t)
	if got := strings.Trim(aws.StringValue(head.ETag), `"`); got != etags["a/one"] {
		t.Errorf("without a rewrite: ETag %s, want %s", got, etags["a/one"])
	}
	if n := p.Stats(false).Errors(); n != 0 {
		t.Errorf("%d errors", n)
	}
}
