package minio

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/s3"
)

var buckets atomic.Int64

// Client is an S3 client for the server (bucket set-up, direct reads).
func (s *Server) Client(t testing.TB) *s3.S3 {
	t.Helper()
	return ClientAt(t, s.Endpoint)
}

// ClientAt is an S3 client (aws-sdk-go, SigV4, path style) of the test
// MinIO at endpoint: its own, or a proxy's in front of it.
func ClientAt(t testing.TB, endpoint string) *s3.S3 {
	t.Helper()
	sess, err := session.NewSession(aws.NewConfig().
		WithEndpoint(endpoint).WithRegion(Region).WithS3ForcePathStyle(true).WithDisableSSL(true).
		WithCredentials(credentials.NewStaticCredentials(AccessKey, SecretKey, "")))
	if err != nil {
		t.Fatalf("minio: session: %v", err)
	}
	return s3.New(sess)
}

// NewBucket creates an empty bucket with a name of its own.
func (s *Server) NewBucket(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("regprune-%d-%d", os.Getpid(), buckets.Add(1))
	// One at a time, with retries: CreateBucket on a busy MinIO was seen
	// to hang now and then without an answer.
	s.bucketMu.Lock()
	defer s.bucketMu.Unlock()
	var err error
	for try := 0; try < 4; try++ {
		if err = s.createBucket(t, name); err == nil {
			return name
		}
	}
	t.Fatalf("minio: create bucket %s: %v\nMinIO output:\n%s", name, err, s.log.String())
	return name
}

func (s *Server) createBucket(t testing.TB, name string) error {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := s.Client(t).CreateBucketWithContext(c, &s3.CreateBucketInput{Bucket: aws.String(name)})
	var ae awserr.Error
	if errors.As(err, &ae) && ae.Code() == s3.ErrCodeBucketAlreadyOwnedByYou {
		return nil // an earlier try did create it
	}
	return err
}

// Params are distribution's s3 driver parameters for bucket.
func (s *Server) Params(bucket string) map[string]interface{} {
	return map[string]interface{}{
		"accesskey":      AccessKey,
		"secretkey":      SecretKey,
		"region":         Region,
		"regionendpoint": s.Endpoint,
		"bucket":         bucket,
		"secure":         false,
		"v4auth":         true,
	}
}

// ConfigYAML is a registry config.yml whose storage is bucket.
func (s *Server) ConfigYAML(bucket string) string {
	var b strings.Builder
	b.WriteString("version: 0.1\nstorage:\n  s3:\n")
	for _, k := range []string{"accesskey", "secretkey", "region", "regionendpoint", "bucket", "secure", "v4auth"} {
		fmt.Fprintf(&b, "    %s: %v\n", k, s.Params(bucket)[k])
	}
	b.WriteString("  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:5000\n")
	return b.String()
}

// WriteConfig writes ConfigYAML(bucket) into dir and returns its path.
func (s *Server) WriteConfig(t testing.TB, dir, bucket string) string {
	t.Helper()
	p := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(p, []byte(s.ConfigYAML(bucket)), 0o644); err != nil {
		t.Fatalf("minio: %v", err)
	}
	return p
}
