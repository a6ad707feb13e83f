// Command s3load fills a MinIO (or any S3) bucket from a registry storage
// tree on disk, and lists a bucket's keys; scripts/bench-s3.sh uses it to
// make identical buckets and compare what two garbage collectors leave.
//
//	s3load -endpoint http://127.0.0.1:9000 -bucket b -put DIR   create b, upload every file under DIR
//	s3load -endpoint http://127.0.0.1:9000 -bucket b -list      print every key, sorted
//	s3load -endpoint http://127.0.0.1:9000 -bucket b -tags      print every tag's directory (key prefix), sorted
//	s3load -endpoint http://127.0.0.1:9000 -bucket b -delete-prefixes FILE
//	                                    delete every key beneath each prefix in FILE (one a line, ending in /)
//	s3load -endpoint http://127.0.0.1:9000 -wait                wait until the server answers
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/s3"
	"github.com/regprune/regprune/internal/minio"
	"golang.org/x/sync/errgroup"
)

func main() {
	endpoint := flag.String("endpoint", "", "S3 endpoint URL (required)")
	bucket := flag.String("bucket", "", "bucket")
	put := flag.String("put", "", "create the bucket and upload every file under `DIR` (keys relative to DIR)")
	list := flag.Bool("list", false, "print every key of the bucket, sorted")
	tags := flag.Bool("tags", false, "print the key prefix of every tag directory (.../_manifests/tags/<tag>/), sorted")
	deletePrefixes := flag.String("delete-prefixes", "", "delete every key beneath each prefix listed in `FILE`")
	wait := flag.Bool("wait", false, "wait up to 2 minutes for the server")
	jobs := flag.Int("jobs", 32, "parallel uploads")
	flag.Parse()
	if *endpoint == "" {
		flag.Usage()
		os.Exit(2)
	}
	c := client(*endpoint)
	var err error
	switch {
	case *wait:
		err = waitReady(c)
	case *put != "":
		err = upload(c, *bucket, *put, *jobs)
	case *list:
		err = listKeys(c, *bucket)
	case *tags:
		err = listTags(c, *bucket)
	case *deletePrefixes != "":
		err = deleteBeneath(c, *bucket, *deletePrefixes)
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "s3load:", err)
		os.Exit(1)
	}
}

func client(endpoint string) *s3.S3 {
	sess := session.Must(session.NewSession(aws.NewConfig().
		WithEndpoint(endpoint).WithRegion(minio.Region).WithS3ForcePathStyle(true).WithDisableSSL(true).
		WithCredentials(credentials.NewStaticCredentials(minio.AccessKey, minio.SecretKey, ""))))
	return s3.New(sess)
}

func waitReady(c *s3.S3) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, err := c.ListBuckets(&s3.ListBucketsInput{})
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server not ready: %w", err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func upload(c *s3.S3, bucket, dir string, jobs int) error {
	if _, err := c.CreateBucket(&s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	var g errgroup.Group
	g.SetLimit(jobs)
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		n++
		g.Go(func() error {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			_, err = c.PutObject(&s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(filepath.ToSlash(rel)),
				Body: bytes.NewReader(b)})
			if err != nil {
				return fmt.Errorf("put %s: %w", rel, err)
			}
			return nil
		})
		return nil
	})
	err = errors.Join(err, g.Wait())
	if err == nil {
		fmt.Fprintf(os.Stderr, "s3load: %d objects into %s\n", n, bucket)
	}
	return err
}

func listKeys(c *s3.S3, bucket string) error {
	keys, err := keysBeneath(c, bucket, "")
	if err != nil {
		return err
	}
	for _, k := range keys {
		fmt.Println(k)
	}
	return nil
}

// keysBeneath lists every key beginning with prefix (ListObjectsV2, no
// delimiter, 1,000 a page), sorted.
func keysBeneath(c *s3.S3, bucket, prefix string) ([]string, error) {
	var keys []string
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix), MaxKeys: aws.Int64(1000)}
	err := c.ListObjectsV2Pages(in, func(p *s3.ListObjectsV2Output, last bool) bool {
		for _, o := range p.Contents {
			keys = append(keys, *o.Key)
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("list %s/%s: %w", bucket, prefix, err)
	}
	sort.Strings(keys)
	return keys, nil
}

// listTags prints the prefix of every tag directory that holds a key.
func listTags(c *s3.S3, bucket string) error {
	keys, err := keysBeneath(c, bucket, "")
	if err != nil {
		return err
	}
	const tags = "/_manifests/tags/"
	last := ""
	for _, k := range keys {
		i := strings.Index(k, tags)
		if i < 0 {
			continue
		}
		tag, _, ok := strings.Cut(k[i+len(tags):], "/")
		if !ok {
			continue
		}
		if dir := k[:i+len(tags)] + tag + "/"; dir != last {
			fmt.Println(dir)
			last = dir
		}
	}
	return nil
}

// deleteBeneath deletes every key beneath the prefixes listed in file.
func deleteBeneath(c *s3.S3, bucket, file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var ids []*s3.ObjectIdentifier
	for _, prefix := range strings.Fields(string(b)) {
		if !strings.HasSuffix(prefix, "/") {
			return fmt.Errorf("%s: prefix %q does not end in /", file, prefix)
		}
		keys, err := keysBeneath(c, bucket, prefix)
		if err != nil {
			return err
		}
		for _, k := range keys {
			ids = append(ids, &s3.ObjectIdentifier{Key: aws.String(k)})
		}
	}
	n := len(ids)
	for len(ids) > 0 {
		batch := ids[:min(1000, len(ids))]
		ids = ids[len(batch):]
		out, err := c.DeleteObjects(&s3.DeleteObjectsInput{Bucket: aws.String(bucket),
			Delete: &s3.Delete{Objects: batch, Quiet: aws.Bool(true)}})
		if err != nil {
			return fmt.Errorf("delete from %s: %w", bucket, err)
		}
		if len(out.Errors) > 0 {
			return fmt.Errorf("delete %s from %s: %s", aws.StringValue(out.Errors[0].Key), bucket, aws.StringValue(out.Errors[0].Message))
		}
	}
	fmt.Fprintf(os.Stderr, "s3load: %d objects deleted from %s\n", n, bucket)
	return nil
}
