package storage

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/service/s3"
)

// listRanges lists every object beneath directory dir, as listTree does,
// split at bounds (names below dir, sorted) into len(bounds)+1 ranges
// listed concurrently, at most jobs at a time: range 0 holds the keys up
// to dir/bounds[0] (that key included), range r the keys after
// dir/bounds[r-1] up to dir/bounds[r], the last range the keys after the
// last bound. Every request has dir's key and "/" as its prefix, so
// nothing outside dir is listed, and together the ranges hold exactly the
// keys one listing of dir holds. f(r, key) is called with the objects of
// range r in key order, from one goroutine at a time per range (ranges run
// concurrently). A range costs at most one request more than its keys
// need: the last page of a range may reach into the next.
func (o *objects) listRanges(ctx context.Context, dir string, bounds []string, jobs int, f func(r int, k listed)) error {
	prefix := o.key(dir) + "/"
	page := o.page
	if page == 0 {
		page = 1000
	}
	return Each(ctx, len(bounds)+1, jobs, func(ctx context.Context, r int) error {
		in := &s3.ListObjectsV2Input{Bucket: aws.String(o.bucket), Prefix: aws.String(prefix), MaxKeys: aws.Int64(page),
			EncodingType: aws.String(s3.EncodingTypeUrl)}
		if r > 0 {
			in.StartAfter = aws.String(prefix + bounds[r-1])
		}
		last := "" // the range's last key, "" for the end of dir
		if r < len(bounds) {
			last = prefix + bounds[r]
		}
		err := o.pages(ctx, in, func(page *s3.ListObjectsV2Output, _ bool) bool {
			for _, obj := range page.Contents {
				k := listedKey(obj.Key)
				if last != "" && k > last {
					return false
				}
				f(r, listed{path: o.path(k), size: aws.Int64Value(obj.Size), mod: aws.TimeValue(obj.LastModified),
					etag: strings.Trim(aws.StringValue(obj.ETag), `"`)})
			}
			return true
		})
		if err != nil {
			return fmt.Errorf("listing %s from %s: %w", dir, aws.StringValue(in.StartAfter), err)
		}
		return nil
	})
}
