// Command s3load fills a MinIO (or any S3) bucket from a registry storage
// tree on disk, and lists a bucket's keys; scripts/bench-s3.sh uses it to
// make identical buckets and compare what two garbage collectors leave.
//
//	s3load -endpoint http://127.0.0.1:9000 -bucket b -put DIR   create b, upload every file under DIR
//	s3load -endpoint http://127.0.0.1:9000 -bucket b -list      print every key, sorted
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
	var keys []string
	err := c.ListObjectsV2Pages(&s3.ListObjectsV2Input{Bucket: aws.String(bucket)}, func(p *s3.ListObjectsV2Output, last bool) bool {
		for _, o := range p.Contents {
			keys = append(keys, *o.Key)
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("list %s: %w", bucket, err)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Println(k)
	}
	return nil
}
