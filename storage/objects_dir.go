package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/service/s3"
	"github.com/docker/distribution/registry/storage/driver"
)

// notFound is the driver's error for a missing path.
func (o *objects) notFound(p string) error {
	return driver.PathNotFoundError{Path: p, DriverName: "s3aws"}
}

// firstKey returns the first key beginning with prefix, "" when none.
func (o *objects) firstKey(ctx context.Context, prefix string) (*s3.Object, error) {
	out, err := o.listPage(ctx, &s3.ListObjectsV2Input{
		Bucket: aws.String(o.bucket), Prefix: aws.String(prefix), MaxKeys: aws.Int64(1), EncodingType: aws.String(s3.EncodingTypeUrl)})
	if err != nil {
		return nil, err
	}
	if len(out.Contents) == 0 {
		return nil, nil
	}
	obj := *out.Contents[0]
	obj.Key = aws.String(listedKey(obj.Key))
	return &obj, nil
}

// listedKey is a key as listed with the url encoding type (which lets a
// listing hold keys with bytes XML cannot carry); a key that does not
// decode is kept as listed, and then names nothing a driver path can.
func listedKey(k *string) string {
	s := aws.StringValue(k)
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}

// stat is an exact Stat: p is a file when its key exists ("key" sorts
// before every longer key, so the first key with the prefix is it when it
// exists), a directory when a key begins with its key and "/".
func (o *objects) stat(ctx context.Context, p string) (driver.FileInfo, error) {
	k := o.key(p)
	obj, err := o.firstKey(ctx, k)
	if err != nil {
		return nil, fmt.Errorf("stat %s: %w", p, err)
	}
	if obj != nil && aws.StringValue(obj.Key) == k {
		return driver.FileInfoInternal{FileInfoFields: driver.FileInfoFields{Path: p,
			Size: aws.Int64Value(obj.Size), ModTime: aws.TimeValue(obj.LastModified)}}, nil
	}
	if obj == nil {
		return nil, o.notFound(p)
	}
	if obj, err = o.firstKey(ctx, k+"/"); err != nil {
		return nil, fmt.Errorf("stat %s: %w", p, err)
	}
	if obj == nil {
		return nil, o.notFound(p)
	}
	return driver.FileInfoInternal{FileInfoFields: driver.FileInfoFields{Path: p, IsDir: true}}, nil
}

// listDir lists directory p with a delimiter: objects are files, common
// prefixes directories; a key equal to the directory's own prefix (a
// "folder" marker some tools write) is no entry. Nothing found is
// PathNotFoundError, as in the driver.
func (o *objects) listDir(ctx context.Context, p string) ([]Entry, error) {
	prefix := o.key(p) + "/"
	if p == "/" {
		prefix = o.prefix
	}
	var es []Entry
	in := &s3.ListObjectsV2Input{Bucket: aws.String(o.bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/"),
		MaxKeys: aws.Int64(1000), EncodingType: aws.String(s3.EncodingTypeUrl)}
	err := o.pages(ctx, in, func(page *s3.ListObjectsV2Output, _ bool) bool {
		for _, obj := range page.Contents {
			if name := strings.TrimPrefix(listedKey(obj.Key), prefix); name != "" {
				es = append(es, Entry{Name: name, Kind: KindFile})
			}
		}
		for _, cp := range page.CommonPrefixes {
			name := strings.TrimPrefix(listedKey(cp.Prefix), prefix)
			es = append(es, Entry{Name: strings.TrimSuffix(name, "/"), Kind: KindDir})
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", p, err)
	}
	if len(es) == 0 {
		return nil, o.notFound(p)
	}
	return es, nil
}

// readLimited reads object p with a range of limit+1 bytes: more is
// ErrTooLarge (the object's size, from Content-Range, is named).
func (o *objects) readLimited(ctx context.Context, p string, limit int64) ([]byte, error) {
	b, _, err := o.readTagged(ctx, p, limit)
	return b, err
}

// readTagged is readLimited that also returns the ETag of the response
// ("" for an empty object).
func (o *objects) readTagged(ctx context.Context, p string, limit int64) ([]byte, string, error) {
	out, err := o.client.GetObjectWithContext(ctx, &s3.GetObjectInput{
		Bucket: aws.String(o.bucket), Key: aws.String(o.key(p)),
		Range: aws.String("bytes=0-" + strconv.FormatInt(limit, 10))})
	if err != nil {
		var ae awserr.RequestFailure
		switch {
		case errors.As(err, &ae) && ae.StatusCode() == 404:
			return nil, "", o.notFound(p)
		case errors.As(err, &ae) && ae.StatusCode() == 416: // a range of an empty object
			b, err := o.readEmpty(ctx, p)
			return b, "", err
		}
		return nil, "", fmt.Errorf("reading %s: %w", p, err)
	}
	defer out.Body.Close()
	if total := rangeTotal(aws.StringValue(out.ContentRange)); total > limit {
		return nil, "", tooLarge(total, limit)
	}
	b, err := io.ReadAll(io.LimitReader(out.Body, limit+1))
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", p, err)
	}
	if int64(len(b)) > limit {
		return nil, "", tooLarge(int64(len(b)), limit)
	}
	return b, aws.StringValue(out.ETag), nil
}

// readEmpty confirms that object p exists and is empty.
func (o *objects) readEmpty(ctx context.Context, p string) ([]byte, error) {
	out, err := o.client.HeadObjectWithContext(ctx, &s3.HeadObjectInput{Bucket: aws.String(o.bucket), Key: aws.String(o.key(p))})
	if err != nil {
		var ae awserr.RequestFailure
		if errors.As(err, &ae) && ae.StatusCode() == 404 {
			return nil, o.notFound(p)
		}
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	if n := aws.Int64Value(out.ContentLength); n != 0 {
		return nil, fmt.Errorf("reading %s: a range of %d bytes was refused", p, n)
	}
	return []byte{}, nil
}

// rangeTotal is the total size in a Content-Range header
// ("bytes 0-70/71"), -1 when absent.
func rangeTotal(h string) int64 {
	i := strings.LastIndexByte(h, '/')
	if i < 0 {
		return -1
	}
	n, err := strconv.ParseInt(h[i+1:], 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// deleteKeys deletes the objects at driver paths ps (at most deleteBatch)
// in one request; a key the server refuses is an error naming it.
func (o *objects) deleteKeys(ctx context.Context, ps []string) error {
	ids := make([]*s3.ObjectIdentifier, len(ps))
	for i, p := range ps {
		ids[i] = &s3.ObjectIdentifier{Key: aws.String(o.key(p))}
	}
	out, err := o.client.DeleteObjectsWithContext(ctx, &s3.DeleteObjectsInput{
		Bucket: aws.String(o.bucket),
		Delete: &s3.Delete{Objects: ids, Quiet: aws.Bool(true)},
	})
	if err != nil {
		return fmt.Errorf("deleting %d objects from %s: %w", len(ps), ps[0], err)
	}
	if len(out.Errors) > 0 {
		e := out.Errors[0]
		return fmt.Errorf("deleting %s: %s: %s (and %d more errors)", o.path(aws.StringValue(e.Key)),
			aws.StringValue(e.Code), aws.StringValue(e.Message), len(out.Errors)-1)
	}
	return nil
}

// deleteTree deletes object p and every object beneath p + "/", listed
// with the slash (a sibling sharing p's first characters is never
// listed). A key below p that no driver path can name (an empty, "." or
// ".." component, odd bytes) refuses the whole delete: it is reported, as
// an *AnomalyError naming it, and nothing is deleted.
func (o *objects) deleteTree(ctx context.Context, p string) error {
	var keys []string
	err := o.listTree(ctx, p, func(q string, _ int64, _ time.Time) {
		keys = append(keys, q)
	})
	if err != nil {
		return err
	}
	for _, q := range keys {
		if !safeDriverPath(q) {
			return anomaly(q, KindUnknown)
		}
	}
	if obj, err := o.firstKey(ctx, o.key(p)); err != nil {
		return fmt.Errorf("deleting %s: %w", p, err)
	} else if obj != nil && aws.StringValue(obj.Key) == o.key(p) {
		keys = append(keys, p)
	}
	if len(keys) == 0 {
		return o.notFound(p)
	}
	for len(keys) > 0 {
		n := min(len(keys), deleteBatch)
		if err := o.deleteKeys(ctx, keys[:n]); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}
