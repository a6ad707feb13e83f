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
	req, err := http.NewRequestWithContext(t.Context(), method, r.server.URL+uri, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("regtest: %s %s: %v", method, uri, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	resp, err := r.server.Client().Do(req)
	if err != nil {
		t.Fatalf("regtest: %s %s: %v", method, uri, err)
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("regtest: %s %s: status %d, want %d", method, uri, resp.StatusCode, want)
	}
	return resp
}

// PushBlob uploads data as a blob of repo (blob data and the repository's
// layer link, no manifest): an orphan blob for garbage collection.
func (r *Registry) PushBlob(t testing.TB, repo string, data []byte) v1.Hash {
	t.Helper()
	return r.pushBlob(t, repo, data, types.OCIUncompressedLayer).Digest
}
