package s3proxy

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestPattern(t *testing.T) {
	const hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	cases := map[string]string{
		"GET /b/docker/registry/v2/repositories/team/app/_manifests/tags/v1.0/current/link":               "GET repositories/<repo>/_manifests/tags/<tag>/current/link",
		"GET /b/reg/docker/registry/v2/repositories/app/_manifests/tags/v1/index/sha256/" + hex + "/link": "GET repositories/<repo>/_manifests/tags/<tag>/index/sha256/<hex>/link",
		"GET /b/docker/registry/v2/repositories/a/b/c/_manifests/revisions/sha256/" + hex + "/link":       "GET repositories/<repo>/_manifests/revisions/sha256/<hex>/link",
		"HEAD /b/docker/registry/v2/repositories/app/_layers/sha256/" + hex + "/link":                     "HEAD repositories/<repo>/_layers/sha256/<hex>/link",
		"PUT /b/docker/registry/v2/repositories/app/_uploads/5f1e/hashstates/sha256/0":                    "PUT repositories/<repo>/_uploads/<id>/hashstates/sha256/0",
		"GET /b/docker/registry/v2/blobs/sha256/01/" + hex + "/data":                                      "GET blobs/sha256/<xx>/<hex>/data",
		"DELETE /b/docker/registry/v2/.regprune.lock":                                                     "DELETE .regprune.lock",
		"GET /b/other/key":                                                                        "GET <other>",
		"GET /b/xdocker/registry/v2/blobs/k":                                                      "GET <other>",
		"GET /b?list-type=2":                                                                      "LIST (bucket) (all)",
		"GET /b?prefix=docker%2F&delimiter=%2F":                                                   "LIST (docker/) (dir)",
		"GET /b?prefix=docker%2Fregistry%2Fv2%2F&delimiter=%2F":                                   "LIST (docker/registry/v2/) (dir)",
		"GET /b?list-type=2&prefix=docker%2Fregistry%2Fv2%2Fblobs%2Fsha256%2Fab%2F":               "LIST blobs/sha256/<xx>/ (all)",
		"GET /b?prefix=docker%2Fregistry%2Fv2%2Frepositories%2F&delimiter=%2F":                    "LIST repositories/ (dir)",
		"GET /b?prefix=docker%2Fregistry%2Fv2%2Frepositories%2Fteam%2F&delimiter=%2F":             "LIST repositories/<names>/ (dir)",
		"GET /b?prefix=docker%2Fregistry%2Fv2%2Frepositories%2Fteam%2Fapp%2F_manifests%2Ftags%2F": "LIST repositories/<repo>/_manifests/tags/ (all)",
		"POST /b?delete": "DeleteObjects DeleteObjects",
		"GET /":          "OTHER ListBuckets",
	}
	for req, want := range cases {
		method, target, _ := strings.Cut(req, " ")
		u, err := url.ParseRequestURI(target)
		if err != nil {
			t.Fatal(err)
		}
		if got := Classify(method, u, http.Header{}).Pattern(); got != want {
			t.Errorf("%s: %q, want %q", req, got, want)
		}
	}
}

var rawName = regexp.MustCompile(`[0-9a-f]{64}`)

// FuzzPattern: any key gets a pattern without a panic and without the
// digests in it.
func FuzzPattern(f *testing.F) {
	f.Add("docker/registry/v2/repositories/a/_manifests/tags/v1/index/sha256/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef/link")
	f.Add("docker/registry/v2/blobs/sha256/ab/")
	f.Add("docker/registry/v2/repositories/_x")
	f.Add("/docker/registry/v2/")
	f.Fuzz(func(t *testing.T, key string) {
		p := storagePattern(key)
		if strings.Contains(key, "docker/registry/v2/") && rawName.MatchString(p) {
			for _, part := range strings.Split(p, "/") {
				if len(part) == 64 && rawName.MatchString(part) {
					t.Fatalf("%q: digest left in %q", key, p)
				}
			}
		}
	})
}
