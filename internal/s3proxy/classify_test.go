package s3proxy

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const (
	blobKey = "docker/registry/v2/blobs/sha256/ab/ab00000000000000000000000000000000000000000000000000000000000000/data"
	tagKey  = "docker/registry/v2/repositories/app/_manifests/tags/v1/current/link"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		method, target string
		header         map[string]string
		kind           Kind
		op, object     string
		ranged         bool
	}{
		{"GET", "/", nil, Other, "ListBuckets", "other", false},
		{"GET", "/b?list-type=2&prefix=docker%2F&max-keys=1000", nil, List, "ListObjectsV2", "other", false},
		{"GET", "/b/?list-type=2&continuation-token=x", nil, List, "ListObjectsV2", "other", false},
		{"GET", "/b?prefix=a&delimiter=%2F&marker=m&max-keys=1", nil, List, "ListObjects", "other", false},
		{"GET", "/b", nil, List, "ListObjects", "other", false},
		{"GET", "/b?uploads", nil, List, "ListMultipartUploads", "other", false},
		{"GET", "/b?versions", nil, List, "ListObjectVersions", "other", false},
		{"GET", "/b?location", nil, Other, "GetBucket?location", "other", false},
		{"HEAD", "/b", nil, Head, "HeadBucket", "other", false},
		{"PUT", "/b", nil, Other, "CreateBucket", "other", false},
		{"DELETE", "/b", nil, Other, "DeleteBucket", "other", false},
		{"POST", "/b?delete", nil, DeleteObjects, "DeleteObjects", "other", false},
		{"POST", "/b/?delete=", nil, DeleteObjects, "DeleteObjects", "other", false},
		{"GET", "/b/" + tagKey, nil, Get, "GetObject", "link", false},
		{"GET", "/b/reg/" + blobKey, map[string]string{"Range": "bytes=0-"}, Get, "GetObject", "data", true},
		{"GET", "/b/" + blobKey + "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=s", nil, Get, "GetObject", "data", false},
		{"GET", "/b/docker/registry/v2/repositories/blobs/_uploads/u/data", nil, Get, "GetObject", "other", false},
		{"GET", "/b/k?uploadId=u", nil, List, "ListParts", "other", false},
		{"GET", "/b/k?tagging", nil, Other, "GetObject?tagging", "other", false},
		{"HEAD", "/b/" + blobKey, nil, Head, "HeadObject", "data", false},
		{"PUT", "/b/" + tagKey, nil, Put, "PutObject", "link", false},
		{"PUT", "/b/k?partNumber=1&uploadId=u", nil, Put, "UploadPart", "other", false},
		{"PUT", "/b/k?partNumber=2&uploadId=u", map[string]string{"X-Amz-Copy-Source": "b/j"}, Put, "UploadPartCopy", "other", false},
		{"PUT", "/b/k", map[string]string{"X-Amz-Copy-Source": "/b/j"}, Put, "CopyObject", "other", false},
		{"PUT", "/b/k?acl", nil, Other, "PutObject?acl", "other", false},
		{"POST", "/b/k?uploads", nil, Put, "CreateMultipartUpload", "other", false},
		{"POST", "/b/k?uploadId=u", nil, Put, "CompleteMultipartUpload", "other", false},
		{"DELETE", "/b/k", nil, Delete, "DeleteObject", "other", false},
		{"DELETE", "/b/k?uploadId=u", nil, Delete, "AbortMultipartUpload", "other", false},
		{"GET", "/minio/health/ready", nil, Other, "MinIO", "other", false},
		{"PATCH", "/b/k", nil, Other, "PATCH object?", "other", false},
		{"GET", "/b/a%2Fb%20c/link", nil, Get, "GetObject", "link", false},
	}
	for _, c := range cases {
		u, err := url.ParseRequestURI(c.target)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		for k, v := range c.header {
			h.Set(k, v)
		}
		r := Classify(c.method, u, h)
		if r.Kind != c.kind || r.Op != c.op || r.Object() != c.object || r.Ranged != c.ranged {
			t.Errorf("%s %s: %s %s %s ranged=%t, want %s %s %s ranged=%t",
				c.method, c.target, r.Kind, r.Op, r.Object(), r.Ranged, c.kind, c.op, c.object, c.ranged)
		}
	}
}

func TestClassifyBucketAndKey(t *testing.T) {
	u, _ := url.ParseRequestURI("/regprune-1/docker/registry/v2/repositories/a%20b/_layers/x")
	r := Classify("GET", u, http.Header{})
	if r.Bucket != "regprune-1" || r.Key != "docker/registry/v2/repositories/a b/_layers/x" {
		t.Fatalf("bucket %q key %q", r.Bucket, r.Key)
	}
}

func TestClassifyLists(t *testing.T) {
	cases := []struct {
		target           string
		prefix           string
		delimited, blobs bool
	}{
		{"/b?list-type=2&prefix=docker%2Fregistry%2Fv2%2Fblobs%2Fsha256%2Fab%2F", "docker/registry/v2/blobs/sha256/ab/", false, true},
		{"/b?prefix=reg%2Fdocker%2Fregistry%2Fv2%2Fblobs%2F&delimiter=%2F", "reg/docker/registry/v2/blobs/", true, true},
		{"/b?prefix=docker%2Fregistry%2Fv2%2Frepositories%2Fapp%2F&delimiter=%2F", "docker/registry/v2/repositories/app/", true, false},
		{"/b?prefix=regdocker%2Fregistry%2Fv2%2Fblobs%2F", "regdocker/registry/v2/blobs/", false, false},
		{"/b?list-type=2", "", false, false},
	}
	for _, c := range cases {
		u, _ := url.ParseRequestURI(c.target)
		r := Classify("GET", u, http.Header{})
		if r.Kind != List || r.Prefix != c.prefix || r.Delimited != c.delimited || r.UnderBlobs() != c.blobs {
			t.Errorf("%s: %s prefix %q delimited %t blobs %t", c.target, r.Kind, r.Prefix, r.Delimited, r.UnderBlobs())
		}
	}
	u, _ := url.ParseRequestURI("/b/docker/registry/v2/blobs/x?prefix=docker%2Fregistry%2Fv2%2Fblobs%2F")
	if r := Classify("GET", u, http.Header{}); r.Prefix != "" || r.UnderBlobs() {
		t.Errorf("a GET taken for a listing of %q", r.Prefix)
	}
}

func TestCountsAdd(t *testing.T) {
	c := newCounts()
	for _, target := range []string{"/b?list-type=2&prefix=docker%2Fregistry%2Fv2%2Fblobs%2F&delimiter=%2F", "/b/" + tagKey, "/b/" + blobKey, "/b/x", "/b/" + tagKey} {
		u, _ := url.ParseRequestURI(target)
		c.add(Classify("GET", u, http.Header{"Range": {"bytes=0-"}}))
	}
	c.done(200, 0)
	c.done(404, 0)
	c.done(403, 0)
	c.done(200, 7)
	if c.Total != 5 || c.List != 1 || c.ListBlobs != 1 || c.ListDelimited != 1 || c.Get != 4 || c.GetLink != 2 || c.GetData != 1 || c.GetRanged != 4 ||
		c.DeletedKeys != 7 || c.Ops["GetObject"] != 4 || c.Status["200"] != 2 || c.Errors() != 1 {
		t.Fatalf("counts %+v", c)
	}
}

// FuzzClassify: any request is classified without a panic, into a known
// kind, with bucket and key that make up its path.
func FuzzClassify(f *testing.F) {
	f.Add("GET", "/b?list-type=2", "")
	f.Add("POST", "/b?delete", "")
	f.Add("PUT", "/b/k?partNumber=1&uploadId=u", "b/j")
	f.Add("GET", "/minio/health/live", "")
	f.Add("DELETE", "//k?uploadId", "")
	f.Fuzz(func(t *testing.T, method, target, copySource string) {
		u, err := url.Parse(target)
		if err != nil {
			return
		}
		h := http.Header{}
		if copySource != "" {
			h.Set("X-Amz-Copy-Source", copySource)
		}
		r := Classify(method, u, h)
		switch r.Kind {
		case List, Get, Head, Put, Delete, DeleteObjects, Other:
		default:
			t.Fatalf("%s %s: kind %q", method, target, r.Kind)
		}
		if r.Op == "" {
			t.Fatalf("%s %s: no operation", method, target)
		}
		p := strings.TrimPrefix(u.Path, "/")
		if r.Op != "MinIO" && r.Bucket+"/"+r.Key != p && r.Bucket != p {
			t.Fatalf("%s %s: bucket %q key %q from path %q", method, target, r.Bucket, r.Key, p)
		}
		if r.Ranged && r.Kind != Get {
			t.Fatalf("%s %s: a ranged %s", method, target, r.Kind)
		}
		switch o := r.Object(); o {
		case "link", "data", "other":
		default:
			t.Fatalf("object %q", o)
		}
	})
}
