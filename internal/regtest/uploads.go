package regtest

import (
	"bytes"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// UploadDir is the directory of upload session id of repo.
func UploadDir(root, repo, id string) string {
	return filepath.Join(RepoDir(root, repo), "_uploads", id)
}

// StartUpload opens a blob upload session in repo (POST
// /v2/<repo>/blobs/uploads/), sends data in it if any (PATCH) and leaves
// it unfinished, as an interrupted push does. It returns the session id:
// its files are under UploadDir(root, repo, id).
func (r *Registry) StartUpload(t testing.TB, repo string, data []byte) string {
	t.Helper()
	resp := r.do(t, http.MethodPost, "/v2/"+repo+"/blobs/uploads/", nil, http.StatusAccepted)
	loc := resp.Header.Get("Location")
	id := resp.Header.Get("Docker-Upload-UUID")
	if id == "" {
		t.Fatalf("regtest: upload to %s: no Docker-Upload-UUID (Location %q)", repo, loc)
	}
	if len(data) > 0 {
		u, err := url.Parse(loc)
		if err != nil {
			t.Fatalf("regtest: upload location %q: %v", loc, err)
		}
		r.do(t, http.MethodPatch, u.RequestURI(), data, http.StatusAccepted)
	}
	return id
}

// do sends one request to the registry and fails t unless it answers want.
func (r *Registry) do(t testing.TB, method, uri string, body []byte, want int) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, r.url()+uri, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("regtest: %s %s: %v", method, uri, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	resp, err := r.client().Do(req)
	if err != nil {
		t.Fatalf("regtest: %s %s: %v", method, uri, err)
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("regtest: %s %s: status %d, want %d", method, uri, resp.StatusCode, want)
	}
	return resp
}

// url is the registry's base URL; client the HTTP client to reach it.
func (r *Registry) url() string {
	if r.server != nil {
		return r.server.URL
	}
	return "http://" + r.Host
}

func (r *Registry) client() *http.Client {
	if r.server != nil {
		return r.server.Client()
	}
	return http.DefaultClient
}

// DeleteTag deletes tag of repo through the API (DELETE
// /v2/<repo>/manifests/<tag>, 202), as registry 3.x allows; 2.8 answers
// 400, which fails t.
func (r *Registry) DeleteTag(t testing.TB, repo, tag string) {
	t.Helper()
	r.do(t, http.MethodDelete, "/v2/"+repo+"/manifests/"+tag, nil, http.StatusAccepted)
}

// PushBlob uploads data as a blob of repo (blob data and the repository's
// layer link, no manifest): an orphan blob for garbage collection.
func (r *Registry) PushBlob(t testing.TB, repo string, data []byte) v1.Hash {
	t.Helper()
	return r.pushBlob(t, repo, data, types.OCIUncompressedLayer).Digest
}
