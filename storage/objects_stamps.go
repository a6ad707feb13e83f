package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/service/s3"
)

// listed is one key of a listing, as a driver path, with what the listing
// says of it.
type listed struct {
	path string
	size int64
	mod  time.Time
	etag string // quotes removed
}

// listKeys calls f with every object beneath directory dir, in key order
// (ListObjectsV2 without a delimiter, a thousand keys a request).
func (o *objects) listKeys(ctx context.Context, dir string, f func(listed)) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(o.bucket), Prefix: aws.String(o.key(dir) + "/"), MaxKeys: aws.Int64(1000),
		EncodingType: aws.String(s3.EncodingTypeUrl)}
	err := o.pages(ctx, in, func(page *s3.ListObjectsV2Output, _ bool) bool {
		for _, obj := range page.Contents {
			f(listed{path: o.path(listedKey(obj.Key)), size: aws.Int64Value(obj.Size), mod: aws.TimeValue(obj.LastModified),
				etag: strings.Trim(aws.StringValue(obj.ETag), `"`)})
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("listing %s: %w", dir, err)
	}
	return nil
}

// statStamp is the stamp of object p (one listing of at most one key).
func (o *objects) statStamp(ctx context.Context, p string) (BlobStamp, error) {
	obj, err := o.firstKey(ctx, o.key(p))
	if err != nil {
		return BlobStamp{}, fmt.Errorf("stat %s: %w", p, err)
	}
	if obj == nil || aws.StringValue(obj.Key) != o.key(p) {
		return BlobStamp{}, fmt.Errorf("%s: %w", p, ErrNotFound)
	}
	return etagStamp(aws.Int64Value(obj.Size), aws.StringValue(obj.ETag)), nil
}
