//go:build linux

package storage

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	"github.com/docker/distribution/registry/storage/driver"
	"golang.org/x/sys/unix"
)

// local is regprune's filesystem driver: every call is made below the
// root's file descriptor, never following a symbolic link (see rootDir),
// where distribution's driver joins path names and follows whatever it
// meets. It answers as distribution's driver does (not found is
// driver.PathNotFoundError, other failures the os error) except where the
// tree holds what the registry never writes: a symbolic link or special
// file on the way is an *AnomalyError; a read opens regular files only
// and is bounded; a recursive delete refuses a tree holding a symbolic
// link; PutContent is atomic (rename of a synced new file). It also skips
// distribution's base wrapper, which traces every call (a runtime.Caller
// and a logrus entry per call, even with debug logging off) and matches
// every path against a regexp: about a sixth of gc's CPU on a large tree.
type local struct {
	root *rootDir
}

// newLocal opens the filesystem driver at root.
func newLocal(root string) (*local, error) {
	r, err := openRootDir(root)
	if err != nil {
		return nil, err
	}
	return &local{root: r}, nil
}

// getContentLimit bounds GetContent: regprune reads links, manifests (at
// most 4 MiB, see MaxManifestSize) and small files of its own.
const getContentLimit = 16 << 20

// rel is the relative path of driver path p below the root ("" for "/"),
// or an error when p is not a valid driver path or has a "." or ".."
// component (regprune never builds them).
func (l *local) rel(p string) (string, error) {
	if p == "/" {
		return "", nil
	}
	if !safeDriverPath(p) {
		return "", driver.InvalidPathError{Path: p, DriverName: l.Name()}
	}
	return p[1:], nil
}

// fail is the driver's error for err on p: ENOENT is PathNotFoundError.
func (l *local) fail(p string, err error) error {
	if errors.Is(err, unix.ENOENT) {
		return driver.PathNotFoundError{Path: p, DriverName: l.Name()}
	}
	return err
}

func (l *local) Name() string { return "filesystem" }

// GetContent reads regular file p whole (at most getContentLimit bytes).
func (l *local) GetContent(ctx context.Context, p string) ([]byte, error) {
	return l.ReadFile(ctx, p, getContentLimit)
}

// ReadFile (FileReader) reads regular file p, at most limit bytes.
func (l *local) ReadFile(_ context.Context, p string, limit int64) ([]byte, error) {
	rel, err := l.rel(p)
	if err != nil {
		return nil, err
	}
	b, err := l.root.readFile(rel, limit)
	return b, l.fail(p, err)
}

// Stat stats p itself. A directory has size 0, as in distribution's
// driver; a symbolic link or special file is an *AnomalyError.
func (l *local) Stat(_ context.Context, p string) (driver.FileInfo, error) {
	rel, err := l.rel(p)
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := l.root.lstat(rel, &st); err != nil {
		return nil, l.fail(p, err)
	}
	info := driver.FileInfoFields{Path: p, ModTime: timeOf(st.Mtim)}
	switch k := kindOfMode(st.Mode); k {
	case KindDir:
		info.IsDir = true
	case KindFile:
		info.Size = st.Size
	default:
		return nil, anomaly(p, k)
	}
	return driver.FileInfoInternal{FileInfoFields: info}, nil
}

// ListEntries (EntryLister) lists directory p with the kind of each entry.
func (l *local) ListEntries(_ context.Context, p string) ([]Entry, error) {
	rel, err := l.rel(p)
	if err != nil {
		return nil, err
	}
	es, err := l.root.readEntries(rel)
	return es, l.fail(p, err)
}

// List returns the driver paths of the entries of directory p.
func (l *local) List(ctx context.Context, p string) ([]string, error) {
	es, err := l.ListEntries(ctx, p)
	if err != nil {
		return nil, err
	}
	prefix := p + "/"
	if p == "/" {
		prefix = "/"
	}
	names := make([]string, len(es))
	for i, e := range es {
		names[i] = prefix + e.Name
	}
	return names, nil
}

// Delete removes p and everything beneath it (see rootDir.removeAll: a
// tree holding a symbolic link is refused whole); a missing p is
// PathNotFoundError.
func (l *local) Delete(_ context.Context, p string) error {
	rel, err := l.rel(p)
	if err != nil {
		return err
	}
	if rel == "" {
		return driver.InvalidPathError{Path: p, DriverName: l.Name()}
	}
	return l.fail(p, l.root.removeAll(rel))
}

// DeleteLeaf (LeafDeleter) removes directory dir, which the registry
// writes holding the one file named file: that file, then the directory,
// where Delete lists the directory first. A directory holding anything
// else is removed whole, as Delete would.
func (l *local) DeleteLeaf(_ context.Context, dir, file string) error {
	rel, err := l.rel(dir)
	if err != nil {
		return err
	}
	if rel == "" || !ValidComponent(file) {
		return driver.InvalidPathError{Path: dir + "/" + file, DriverName: l.Name()}
	}
	return l.fail(dir, l.root.deleteLeaf(rel, file))
}

// PutContent replaces p with content, atomically (see rootDir.putFile).
func (l *local) PutContent(_ context.Context, p string, content []byte) error {
	rel, err := l.rel(p)
	if err != nil {
		return err
	}
	if rel == "" {
		return driver.InvalidPathError{Path: p, DriverName: l.Name()}
	}
	return l.fail(p, l.root.putFile(rel, content, time.Time{}))
}

// PutContentTimed (TimedPutter) replaces p with content as PutContent
// does, the new file carrying modification time mtime before it takes
// p's place.
func (l *local) PutContentTimed(_ context.Context, p string, content []byte, mtime time.Time) error {
	rel, err := l.rel(p)
	if err != nil {
		return err
	}
	if rel == "" || mtime.IsZero() {
		return driver.InvalidPathError{Path: p, DriverName: l.Name()}
	}
	return l.fail(p, l.root.putFile(rel, content, mtime))
}

// Reader opens regular file p for reading from offset.
func (l *local) Reader(_ context.Context, p string, offset int64) (io.ReadCloser, error) {
	if offset < 0 {
		return nil, driver.InvalidOffsetError{Path: p, Offset: offset, DriverName: l.Name()}
	}
	rel, err := l.rel(p)
	if err != nil {
		return nil, err
	}
	fd, _, err := l.root.openRegular(rel)
	if err != nil {
		return nil, l.fail(p, err)
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, err
	}
	f := os.NewFile(uintptr(fd), p)
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Writer opens regular file p for writing (see rootDir.openWrite).
func (l *local) Writer(_ context.Context, p string, appendTo bool) (driver.FileWriter, error) {
	rel, err := l.rel(p)
	if err != nil {
		return nil, err
	}
	if rel == "" {
		return nil, driver.InvalidPathError{Path: p, DriverName: l.Name()}
	}
	f, err := l.root.openWrite(rel, appendTo)
	if err != nil {
		return nil, l.fail(p, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &fileWriter{f: f, size: fi.Size(), cancel: func() error { return l.Delete(context.Background(), p) }}, nil
}

// Move renames from to to, creating to's parents.
func (l *local) Move(_ context.Context, from, to string) error {
	rf, err := l.rel(from)
	if err != nil {
		return err
	}
	rt, err := l.rel(to)
	if err != nil {
		return err
	}
	if rf == "" || rt == "" {
		return driver.InvalidPathError{Path: from, DriverName: l.Name()}
	}
	return l.fail(from, l.root.rename(rf, rt))
}

// URLFor is not supported by the filesystem driver.
func (l *local) URLFor(context.Context, string, map[string]interface{}) (string, error) {
	return "", driver.ErrUnsupportedMethod{DriverName: l.Name()}
}

// Walk is distribution's fallback walk (List, then Stat of every entry)
// over this driver's own List and Stat.
func (l *local) Walk(ctx context.Context, p string, f driver.WalkFn) error {
	if _, err := l.rel(p); err != nil {
		return err
	}
	return driver.WalkFallback(ctx, l, p, f)
}
