package s3proxy

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/service/s3"
	"github.com/regprune/regprune/internal/minio"
)

// TestProxy runs the proxy in front of a real MinIO (skipped without it,
// as every S3 test; failed under REGPRUNE_REQUIRE_S3=1): each case has a
// proxy and a bucket of its own.
func TestProxy(t *testing.T) {
	srv := minio.Start(t)
	cases := map[string]func(*testing.T, *minio.Server){
		"S3Operations":         testS3Operations,
		"Delay":                testDelay,
		"Control":              testControl,
		"Registry28Regprune":   testRegistry28Regprune,
		"Registry3Upstream":    testRegistry3Upstream,
		"ClientGoneDuringWait": testClientGone,
		"ETagRewrite":          testETagRewrite,
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, srv)
		})
	}
}

// startProxy serves a proxy to srv with delay; it returns the proxy and
// its endpoint (http://127.0.0.1:port).
func startProxy(t *testing.T, srv *minio.Server, delay time.Duration) (*Proxy, string) {
	t.Helper()
	u, err := url.Parse(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	p := New(u, delay)
	ts := httptest.NewServer(p)
	t.Cleanup(ts.Close)
	return p, ts.URL
}

// client is an S3 client of the test MinIO at endpoint (the proxy's).
func client(t *testing.T, endpoint string) *s3.S3 { return minio.ClientAt(t, endpoint) }

// expect checks the counts since the last reset against want (Ops and
// Status compared whole, Paths when want has them; InFlightMax, Delay and
// Seconds not), then resets.
func expect(t *testing.T, p *Proxy, step string, want Counts) {
	t.Helper()
	got := p.Stats(true)
	got.InFlightMax, got.Delay, got.Seconds = 0, "", 0
	if want.Paths == nil {
		got.Paths = nil
	}
	if want.Ops == nil {
		want.Ops = map[string]int64{}
	}
	if want.Status == nil {
		want.Status = map[string]int64{}
	}
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if !bytes.Equal(gj, wj) {
		t.Errorf("%s:\n got %s\nwant %s", step, gj, wj)
	}
}

// must returns v and fails the test on err: must(f())(t).
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		noErr(t, err)
		return v
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func random(t *testing.T, n int) []byte {
	b := make([]byte, n)
	must(rand.Read(b))(t)
	return b
}

// body reads a GetObject's body: body(c.GetObject(...))(t).
func body(out *s3.GetObjectOutput, err error) func(*testing.T) []byte {
	return func(t *testing.T) []byte {
		t.Helper()
		noErr(t, err)
		defer out.Body.Close()
		return must(io.ReadAll(out.Body))(t)
	}
}

// Every kind of request the benchmark counts, made by the AWS SDK through
// the proxy: counted by kind and operation, bodies (up to 5 MiB parts)
// unchanged both ways, signatures accepted.
func testS3Operations(t *testing.T, srv *minio.Server) {
	p, ep := startProxy(t, srv, 2*time.Millisecond)
	c, b := client(t, ep), aws.String(srv.NewBucket(t))
	link, blob := []byte("sha256:ab00000000000000000000000000000000000000000000000000000000000000"), random(t, 1<<20)
	must(c.PutObject(&s3.PutObjectInput{Bucket: b, Key: aws.String(tagKey), Body: bytes.NewReader(link)}))(t)
	must(c.PutObject(&s3.PutObjectInput{Bucket: b, Key: aws.String(blobKey), Body: bytes.NewReader(blob)}))(t)
	expect(t, p, "put", Counts{Total: 2, Put: 2, Ops: map[string]int64{"PutObject": 2}, Status: map[string]int64{"200": 2}})

	if got := body(c.GetObject(&s3.GetObjectInput{Bucket: b, Key: aws.String(tagKey)}))(t); !bytes.Equal(got, link) {
		t.Fatalf("link read back as %q", got)
	}
	if got := body(c.GetObject(&s3.GetObjectInput{Bucket: b, Key: aws.String(blobKey)}))(t); !bytes.Equal(got, blob) {
		t.Fatal("blob changed on its way")
	}
	got := body(c.GetObject(&s3.GetObjectInput{Bucket: b, Key: aws.String(blobKey), Range: aws.String("bytes=1000-1999")}))(t)
	if !bytes.Equal(got, blob[1000:2000]) {
		t.Fatal("range changed on its way")
	}
	expect(t, p, "get", Counts{Total: 3, Get: 3, GetLink: 1, GetData: 2, GetRanged: 1,
		Ops: map[string]int64{"GetObject": 3}, Paths: map[string]int64{"GET blobs/sha256/<xx>/<hex>/data": 2,
			"GET repositories/<repo>/_manifests/tags/<tag>/current/link": 1}, Status: map[string]int64{"200": 2, "206": 1}})

	must(c.HeadObject(&s3.HeadObjectInput{Bucket: b, Key: aws.String(blobKey)}))(t)
	_, err := c.HeadObject(&s3.HeadObjectInput{Bucket: b, Key: aws.String("missing")})
	if ae, isAWS := err.(awserr.Error); !isAWS || ae.Code() != "NotFound" {
		t.Fatalf("head of a missing key: %v", err)
	}
	expect(t, p, "head", Counts{Total: 2, Head: 2, Ops: map[string]int64{"HeadObject": 2}, Status: map[string]int64{"200": 1, "404": 1}})

	pages := 0
	noErr(t, c.ListObjectsV2Pages(&s3.ListObjectsV2Input{Bucket: b, MaxKeys: aws.Int64(1)},
		func(*s3.ListObjectsV2Output, bool) bool { pages++; return true }))
	must(c.ListObjects(&s3.ListObjectsInput{Bucket: b, Prefix: aws.String("docker/"), Delimiter: aws.String("/")}))(t)
	must(c.ListMultipartUploads(&s3.ListMultipartUploadsInput{Bucket: b}))(t)
	if pages != 2 {
		t.Fatalf("%d pages of 2 keys listed 1 at a time", pages)
	}
	expect(t, p, "list", Counts{Total: 4, List: 4, ListDelimited: 1, Ops: map[string]int64{"ListObjectsV2": 2, "ListObjects": 1, "ListMultipartUploads": 1},
		Status: map[string]int64{"200": 4}})

	big := random(t, 5<<20+1000)
	up := must(c.CreateMultipartUpload(&s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("big")}))(t)
	var parts []*s3.CompletedPart
	for i, part := range [][]byte{big[:5<<20], big[5<<20:]} {
		out := must(c.UploadPart(&s3.UploadPartInput{Bucket: b, Key: aws.String("big"), UploadId: up.UploadId,
			PartNumber: aws.Int64(int64(i + 1)), Body: bytes.NewReader(part)}))(t)
		parts = append(parts, &s3.CompletedPart{ETag: out.ETag, PartNumber: aws.Int64(int64(i + 1))})
	}
	must(c.ListParts(&s3.ListPartsInput{Bucket: b, Key: aws.String("big"), UploadId: up.UploadId}))(t)
	must(c.CompleteMultipartUpload(&s3.CompleteMultipartUploadInput{Bucket: b, Key: aws.String("big"), UploadId: up.UploadId,
		MultipartUpload: &s3.CompletedMultipartUpload{Parts: parts}}))(t)
	must(c.CopyObject(&s3.CopyObjectInput{Bucket: b, Key: aws.String("copy"), CopySource: aws.String(*b + "/big")}))(t)
	if got := body(c.GetObject(&s3.GetObjectInput{Bucket: b, Key: aws.String("copy")}))(t); !bytes.Equal(got, big) {
		t.Fatal("multipart object changed on its way")
	}
	expect(t, p, "multipart", Counts{Total: 7, List: 1, Get: 1, Put: 5, Ops: map[string]int64{"CreateMultipartUpload": 1,
		"UploadPart": 2, "ListParts": 1, "CompleteMultipartUpload": 1, "CopyObject": 1, "GetObject": 1}, Status: map[string]int64{"200": 7}})

	must(c.DeleteObject(&s3.DeleteObjectInput{Bucket: b, Key: aws.String("copy")}))(t)
	var ids []*s3.ObjectIdentifier
	for _, k := range []string{tagKey, blobKey, "big"} {
		ids = append(ids, &s3.ObjectIdentifier{Key: aws.String(k)})
	}
	del := must(c.DeleteObjects(&s3.DeleteObjectsInput{Bucket: b, Delete: &s3.Delete{Objects: ids}}))(t)
	must(c.GetBucketLocation(&s3.GetBucketLocationInput{Bucket: b}))(t)
	if len(del.Deleted) != 3 {
		t.Fatalf("DeleteObjects deleted %v", del.Deleted)
	}
	expect(t, p, "delete", Counts{Total: 3, Delete: 1, DeleteObjects: 1, DeletedKeys: 3, Other: 1,
		Ops: map[string]int64{"DeleteObject": 1, "DeleteObjects": 1, "GetBucket?location": 1}, Status: map[string]int64{"200": 2, "204": 1}})
}

// Each request waits the delay; requests in flight together wait it
// together (in flight counted).
func testDelay(t *testing.T, srv *minio.Server) {
	const delay, n = 5 * time.Millisecond, 10
	p, ep := startProxy(t, srv, delay)
	c, b := client(t, ep), aws.String(srv.NewBucket(t))
	start := time.Now()
	for range n {
		must(c.HeadBucket(&s3.HeadBucketInput{Bucket: b}))(t)
	}
	if el := time.Since(start); el < n*delay {
		t.Errorf("%d requests at %s each took %s", n, delay, el)
	}
	got := p.Stats(true)
	if got.Head != n || got.InFlightMax != 1 || got.Delay != "5ms" {
		t.Errorf("sequential requests: %+v", got)
	}
	p.SetDelay(200 * time.Millisecond)
	done := make(chan error, n)
	for range n {
		go func() { _, err := c.HeadBucket(&s3.HeadBucketInput{Bucket: b}); done <- err }()
	}
	for range n {
		noErr(t, <-done)
	}
	if got := p.Stats(true); got.Head != n || got.InFlightMax < 2 {
		t.Errorf("%d requests at once: %d counted, %d in flight at most", n, got.Head, got.InFlightMax)
	}
}

// /__stats and /__delay, as the benchmark script calls them.
func testControl(t *testing.T, srv *minio.Server) {
	p, ep := startProxy(t, srv, 3*time.Millisecond)
	must(client(t, ep).ListBuckets(&s3.ListBucketsInput{}))(t)
	get := func(path string) (int, []byte) {
		resp := must(http.Get(ep + path))(t)
		defer resp.Body.Close()
		return resp.StatusCode, must(io.ReadAll(resp.Body))(t)
	}
	for i, want := range []int64{1, 1, 0} { // read, read and reset, read
		reset := map[bool]string{true: "?reset=1"}[i == 1]
		status, body := get("/__stats" + reset)
		var c Counts
		if err := json.Unmarshal(body, &c); err != nil || status != 200 || bytes.Count(body, []byte("\n")) != 1 {
			t.Fatalf("/__stats%s: %d %q: %v", reset, status, body, err)
		}
		if c.Total != want || c.Other != want || c.Ops["ListBuckets"] != want || c.Delay != "3ms" {
			t.Errorf("/__stats%s: %s", reset, body)
		}
	}
	if status, body := get("/__delay?d=1ms"); status != 200 || string(body) != "1ms\n" || p.Delay() != time.Millisecond {
		t.Errorf("/__delay?d=1ms: %d %q, delay %s", status, body, p.Delay())
	}
	if status, _ := get("/__delay?d=soon"); status != http.StatusBadRequest || p.Delay() != time.Millisecond {
		t.Errorf("/__delay?d=soon: %d, delay %s", status, p.Delay())
	}
	if status, _ := get("/__other"); status != http.StatusNotFound {
		t.Errorf("/__other: %d", status)
	}
	if c := p.Stats(false); c.Total != 0 {
		t.Errorf("control requests counted: %+v", c)
	}
}

// A client that gives up during the delay is counted (499), and its
// request never reaches the server. (The server notices a client gone
// only once it has read the request's body: here a DELETE, which has
// none; a PUT waits out the delay.)
func testClientGone(t *testing.T, srv *minio.Server) {
	p, ep := startProxy(t, srv, 30*time.Second)
	b := aws.String(srv.NewBucket(t))
	must(srv.Client(t).PutObject(&s3.PutObjectInput{Bucket: b, Key: aws.String("k"), Body: bytes.NewReader([]byte("x"))}))(t)
	// The client gives up once the proxy holds its request (a fixed
	// timeout could end before the request reached it, on a loaded
	// machine).
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil && p.Stats(false).InFlightMax == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	_, err := client(t, ep).DeleteObjectWithContext(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("k")})
	if err == nil || !errors.Is(ctx.Err(), context.Canceled) {
		t.Fatalf("delete during the delay: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for p.Stats(false).Status["499"] != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the abandoned request was not counted: %+v", p.Stats(false))
		}
		time.Sleep(10 * time.Millisecond)
	}
	must(srv.Client(t).HeadObject(&s3.HeadObjectInput{Bucket: b, Key: aws.String("k")}))(t)
	if c := p.Stats(false); c.Delete != 1 || c.Total != 1 {
		t.Fatalf("counts %+v", c)
	}
}
