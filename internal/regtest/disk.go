package regtest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Paths on disk, written here independently of storage/layout.go so that
// tests check regprune's layout against a second, plain statement of it.

// V2Dir is <root>/docker/registry/v2.
func V2Dir(root string) string { return filepath.Join(root, "docker", "registry", "v2") }

// RepoDir is the directory of repository repo.
func RepoDir(root, repo string) string {
	return filepath.Join(V2Dir(root), "repositories", filepath.FromSlash(repo))
}

// BlobFile is the data file of blob d.
func BlobFile(root string, d v1.Hash) string {
	return filepath.Join(V2Dir(root), "blobs", d.Algorithm, d.Hex[:2], d.Hex, "data")
}

// RevisionLink is the link saying manifest d exists in repo.
func RevisionLink(root, repo string, d v1.Hash) string {
	return filepath.Join(RepoDir(root, repo), "_manifests", "revisions", d.Algorithm, d.Hex, "link")
}

// LayerLink is the link letting repo serve blob d.
func LayerLink(root, repo string, d v1.Hash) string {
	return filepath.Join(RepoDir(root, repo), "_layers", d.Algorithm, d.Hex, "link")
}

// TagDir is the directory of one tag.
func TagDir(root, repo, tag string) string {
	return filepath.Join(RepoDir(root, repo), "_manifests", "tags", tag)
}

// TagLink is the tag's current/link.
func TagLink(root, repo, tag string) string {
	return filepath.Join(TagDir(root, repo, tag), "current", "link")
}

// TagIndexLink is the entry of manifest d in the tag's index/ history.
func TagIndexLink(root, repo, tag string, d v1.Hash) string {
	return filepath.Join(TagDir(root, repo, tag), "index", d.Algorithm, d.Hex, "link")
}

// LockFile is regprune's lock file.
func LockFile(root string) string { return filepath.Join(V2Dir(root), ".regprune.lock") }

// SetPushed sets the push time of repo:tag: the modification time of its
// current/link, which is what the registry rewrites on every push.
func SetPushed(t testing.TB, root, repo, tag string, when time.Time) {
	t.Helper()
	if err := os.Chtimes(TagLink(root, repo, tag), when, when); err != nil {
		t.Fatalf("regtest: set push time of %s:%s: %v", repo, tag, err)
	}
}

// SetModTime sets the modification time of any path (a blob, a link).
func SetModTime(t testing.TB, path string, when time.Time) {
	t.Helper()
	if err := os.Chtimes(path, when, when); err != nil {
		t.Fatalf("regtest: set time of %s: %v", path, err)
	}
}

// Exists reports whether path exists; any error other than "does not
// exist" fails t.
func Exists(t testing.TB, path string) bool {
	t.Helper()
	_, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if err != nil {
		t.Fatalf("regtest: stat %s: %v", path, err)
	}
	return true
}

// AssertExists fails t unless every path exists.
func AssertExists(t testing.TB, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if !Exists(t, p) {
			t.Errorf("regtest: %s is missing", p)
		}
	}
}

// AssertMissing fails t unless no path exists.
func AssertMissing(t testing.TB, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if Exists(t, p) {
			t.Errorf("regtest: %s still exists", p)
		}
	}
}

// DeleteBlob removes the data file of blob d (its directory stays).
func DeleteBlob(t testing.TB, root string, d v1.Hash) {
	t.Helper()
	if err := os.Remove(BlobFile(root, d)); err != nil {
		t.Fatalf("regtest: delete blob %s: %v", d, err)
	}
}

// TruncateBlob cuts the data of blob d to half its size.
func TruncateBlob(t testing.TB, root string, d v1.Hash) {
	t.Helper()
	p := BlobFile(root, d)
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatalf("regtest: truncate blob %s: %v", d, err)
	}
	if err := os.Truncate(p, fi.Size()/2); err != nil {
		t.Fatalf("regtest: truncate blob %s: %v", d, err)
	}
}

// FlipByte inverts the middle byte of blob d's data, keeping its size.
func FlipByte(t testing.TB, root string, d v1.Hash) {
	t.Helper()
	p := BlobFile(root, d)
	b, err := os.ReadFile(p)
	if err != nil || len(b) == 0 {
		t.Fatalf("regtest: flip a byte of blob %s: %v (%d bytes)", d, err, len(b))
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatalf("regtest: flip a byte of blob %s: %v", d, err)
	}
}

// WriteTagLink writes content, verbatim, as repo:tag's current/link,
// creating the tag if needed (to make dangling or malformed tags).
func WriteTagLink(t testing.TB, root, repo, tag, content string) {
	t.Helper()
	WriteLink(t, TagLink(root, repo, tag), content)
}

// WriteBlobData replaces the data of blob d with data (a corrupt
// manifest: "{not json"), creating the blob if needed.
func WriteBlobData(t testing.TB, root string, d v1.Hash, data []byte) {
	t.Helper()
	WriteFile(t, BlobFile(root, d), data)
}

// WriteLink writes content verbatim as the link file at path (any link:
// RevisionLink, LayerLink, TagIndexLink), creating its directories.
func WriteLink(t testing.TB, path, content string) {
	t.Helper()
	WriteFile(t, path, []byte(content))
}

// WriteFile writes data at path, creating its directories.
func WriteFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatalf("regtest: write %s: %v", path, err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatalf("regtest: write %s: %v", path, err)
	}
}
