package gen

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// Paths of the registry's layout (docker/distribution v2.8.3,
// registry/storage/paths.go), computed here independently of
// storage/layout.go so that the generator checks it rather than repeats it.
func v2Dir(root string) string { return filepath.Join(root, "docker", "registry", "v2") }

func blobDataPath(root string, d digest) string {
	h := d.hex()
	return filepath.Join(v2Dir(root), "blobs", "sha256", h[:2], h, "data")
}

func repoDir(root, repo string) string {
	return filepath.Join(v2Dir(root), "repositories", filepath.FromSlash(repo))
}

func layerLinkPath(root, repo string, d digest) string {
	return filepath.Join(repoDir(root, repo), "_layers", "sha256", d.hex(), "link")
}

func revisionLinkPath(root, repo string, d digest) string {
	return filepath.Join(repoDir(root, repo), "_manifests", "revisions", "sha256", d.hex(), "link")
}

func tagCurrentPath(root, repo, tag string) string {
	return filepath.Join(repoDir(root, repo), "_manifests", "tags", tag, "current", "link")
}

func tagIndexLinkPath(root, repo, tag string, d digest) string {
	return filepath.Join(repoDir(root, repo), "_manifests", "tags", tag, "index", "sha256", d.hex(), "link")
}

// writer writes files of the tree, each with a given modification time,
// and counts what it wrote. Safe for concurrent use.
type writer struct {
	root   string
	nfiles atomic.Int64
	mu     sync.Mutex
	blobs  map[digest]int64
}

// file writes b at p with modification time when, creating directories.
func (w *writer) file(p string, b []byte, when time.Time) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		return err
	}
	w.nfiles.Add(1)
	return os.Chtimes(p, when, when)
}

// blob writes blob data unless it exists: the registry never rewrites a
// blob it has (nor changes its modification time).
func (w *writer) blob(d digest, b []byte, when time.Time) error {
	w.mu.Lock()
	if w.blobs == nil {
		w.blobs = map[digest]int64{}
	}
	_, had := w.blobs[d]
	w.blobs[d] = int64(len(b))
	w.mu.Unlock()
	if had {
		return nil
	}
	return w.file(blobDataPath(w.root, d), b, when)
}

// link writes a link file: exactly "sha256:<hex>", no newline.
func (w *writer) link(p string, d digest, when time.Time) error {
	return w.file(p, []byte(d.String()), when)
}

func (w *writer) blobCount() (int, int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var n int64
	for _, s := range w.blobs {
		n += s
	}
	return len(w.blobs), n
}

func (w *writer) files() int { return int(w.nfiles.Load()) }

// fixDirTimes gives every directory under root the latest modification
// time of its entries, as if each had last changed when its newest entry
// was written (so that no directory looks fresher than what it holds).
func fixDirTimes(root string) error {
	_, err := dirTime(v2Dir(root))
	return err
}

func dirTime(dir string) (time.Time, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return time.Time{}, nil
		}
		return time.Time{}, err
	}
	var latest time.Time
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		var t time.Time
		if e.IsDir() {
			t, err = dirTime(p)
		} else {
			var fi fs.FileInfo
			fi, err = e.Info()
			if fi != nil {
				t = fi.ModTime()
			}
		}
		if err != nil {
			return time.Time{}, err
		}
		if t.After(latest) {
			latest = t
		}
	}
	if latest.IsZero() {
		return latest, nil
	}
	return latest, os.Chtimes(dir, latest, latest)
}
