package s3proxy

import (
	"net/http"
	"net/url"
	"strings"
)

// Kind is what a request costs, in the classes the benchmark reports.
type Kind string

// The kinds of request. PUT covers every write of object data (PutObject,
// multipart creation, parts and completion, copies); DELETE a single
// object or an aborted upload; DeleteObjects a bulk delete (its keys are
// counted apart).
const (
	List          Kind = "LIST"
	Get           Kind = "GET"
	Head          Kind = "HEAD"
	Put           Kind = "PUT"
	Delete        Kind = "DELETE"
	DeleteObjects Kind = "DeleteObjects"
	Other         Kind = "OTHER"
)

// Request is what Classify found a request to be.
type Request struct {
	Kind   Kind
	Op     string // the S3 operation: ListObjectsV2, GetObject, UploadPart, ...
	Bucket string // "" for the service (ListBuckets) and MinIO's own endpoints
	Key    string // "" for bucket operations
	Ranged bool   // a GET with a Range header
	// Of a LIST: the prefix listed, and whether with a delimiter (one
	// directory level) or not (everything beneath the prefix).
	Prefix    string
	Delimited bool
}

// Object says what a key is in a registry's storage, for GETs: "link" (a
// link file: tags, revisions, layers), "data" (a blob's data under
// docker/registry/v2/blobs/, wherever the rootdirectory puts it: for a
// garbage collector, a manifest) or "other".
func (r Request) Object() string {
	const v2 = "docker/registry/v2/"
	switch {
	case strings.HasSuffix(r.Key, "/link"):
		return "link"
	case strings.HasSuffix(r.Key, "/data"):
		if i := strings.Index(r.Key, v2); i >= 0 && strings.HasPrefix(r.Key[i+len(v2):], "blobs/") {
			return "data"
		}
	}
	return "other"
}

// UnderBlobs says whether a LIST's prefix lies in the blob store
// (docker/registry/v2/blobs/, wherever the rootdirectory puts it).
func (r Request) UnderBlobs() bool {
	const blobs = "docker/registry/v2/blobs"
	i := strings.Index(r.Prefix, blobs)
	return i >= 0 && (i == 0 || r.Prefix[i-1] == '/')
}

// Classify names the S3 operation of a path-style request (/bucket/key,
// as clients address a regionendpoint with forcepathstyle) and its kind.
// Virtual-host style is not recognised: the bucket would be taken for
// nothing, and bucket operations for service ones.
func Classify(method string, u *url.URL, h http.Header) Request {
	p := strings.TrimPrefix(u.Path, "/")
	if strings.HasPrefix(p, "minio/") { // health, admin: MinIO's own, not S3
		return Request{Kind: Other, Op: "MinIO"}
	}
	bucket, key, _ := strings.Cut(p, "/")
	q := u.Query()
	r := Request{Bucket: bucket, Key: key}
	switch {
	case bucket == "":
		r.Kind, r.Op = service(method)
	case key == "":
		r.Kind, r.Op = bucketOp(method, q)
		if r.Kind == List {
			r.Prefix, r.Delimited = q.Get("prefix"), q.Get("delimiter") != ""
		}
	default:
		r.Kind, r.Op = objectOp(method, q, h)
		r.Ranged = r.Op == "GetObject" && h.Get("Range") != ""
	}
	return r
}

func service(method string) (Kind, string) {
	if method == http.MethodGet {
		return Other, "ListBuckets"
	}
	return Other, method + " /"
}

// listParams are the query parameters of ListObjects (version 1), which
// has no subresource of its own.
var listParams = map[string]bool{
	"prefix": true, "delimiter": true, "marker": true, "max-keys": true, "encoding-type": true,
}

func bucketOp(method string, q url.Values) (Kind, string) {
	switch method {
	case http.MethodGet:
		switch {
		case q.Get("list-type") == "2":
			return List, "ListObjectsV2"
		case q.Has("uploads"):
			return List, "ListMultipartUploads"
		case q.Has("versions"):
			return List, "ListObjectVersions"
		}
		for k := range q {
			if !listParams[k] {
				return Other, "GetBucket?" + k
			}
		}
		return List, "ListObjects"
	case http.MethodHead:
		return Head, "HeadBucket"
	case http.MethodPost:
		if q.Has("delete") {
			return DeleteObjects, "DeleteObjects"
		}
	case http.MethodPut:
		if len(q) == 0 {
			return Other, "CreateBucket"
		}
	case http.MethodDelete:
		if len(q) == 0 {
			return Other, "DeleteBucket"
		}
	}
	return Other, method + " bucket?" + q.Encode()
}

func objectOp(method string, q url.Values, h http.Header) (Kind, string) {
	copySource := h.Get("X-Amz-Copy-Source") != ""
	switch method {
	case http.MethodGet:
		switch {
		case q.Has("uploadId"):
			return List, "ListParts"
		case q.Has("acl"), q.Has("tagging"), q.Has("retention"), q.Has("legal-hold"), q.Has("attributes"):
			return Other, "GetObject?" + firstKey(q)
		}
		return Get, "GetObject"
	case http.MethodHead:
		return Head, "HeadObject"
	case http.MethodPut:
		switch {
		case q.Has("partNumber") && q.Has("uploadId") && copySource:
			return Put, "UploadPartCopy"
		case q.Has("partNumber") && q.Has("uploadId"):
			return Put, "UploadPart"
		case q.Has("acl"), q.Has("tagging"), q.Has("retention"), q.Has("legal-hold"):
			return Other, "PutObject?" + firstKey(q)
		case copySource:
			return Put, "CopyObject"
		}
		return Put, "PutObject"
	case http.MethodPost:
		switch {
		case q.Has("uploads"):
			return Put, "CreateMultipartUpload"
		case q.Has("uploadId"):
			return Put, "CompleteMultipartUpload"
		}
	case http.MethodDelete:
		if q.Has("uploadId") {
			return Delete, "AbortMultipartUpload"
		}
		if len(q) == 0 || q.Has("versionId") {
			return Delete, "DeleteObject"
		}
	}
	return Other, method + " object?" + firstKey(q)
}

// firstKey is the alphabetically first query parameter, for an operation's
// name (url.Values has no order of its own).
func firstKey(q url.Values) string {
	first := ""
	for k := range q {
		if first == "" || k < first {
			first = k
		}
	}
	return first
}
