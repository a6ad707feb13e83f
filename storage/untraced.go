package storage

import (
	"context"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/docker/distribution/registry/storage/driver"
	"github.com/docker/distribution/registry/storage/driver/filesystem"
)

// untraced returns the filesystem driver without distribution's base
// wrapper, which traces every call (a runtime.Caller and a logrus entry
// built per call, even with debug logging off) and matches every path
// against a regexp: about a sixth of gc's CPU on a large tree. The calls
// gc makes by the hundred thousand (GetContent, Stat, List, Delete) are
// made here with the os package, as distribution's driver makes them but
// without its per-call path.Join and wrappers; the others go to the
// driver. Errors are the driver's: not found is driver.PathNotFoundError,
// anything else the os error. Other drivers are returned unchanged: their
// calls cost far more than the wrapper.
func untraced(d driver.StorageDriver, root string) driver.StorageDriver {
	fd, ok := d.(*filesystem.Driver)
	if !ok || fd.Base.StorageDriver == nil {
		return d
	}
	return &local{inner: fd.Base.StorageDriver, root: strings.TrimSuffix(root, "/")}
}

// local is the filesystem driver rooted at root.
type local struct {
	inner driver.StorageDriver
	root  string
}

// validPath accepts what storagedriver.PathRegexp accepts:
// ^(/[A-Za-z0-9._-]+)+$.
func validPath(p string) bool {
	if len(p) < 2 || p[0] != '/' || p[len(p)-1] == '/' {
		return false
	}
	for i := 1; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '/':
			if p[i-1] == '/' {
				return false
			}
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// full is the file name of driver path p, or an error when p is not a
// valid driver path or has a "." or ".." component (distribution's driver
// would clean those, and ".." could leave the root; regprune never builds
// them).
func (l *local) full(p string) (string, error) {
	if p == "/" {
		return l.root, nil
	}
	if !validPath(p) || hasDotComponent(p) {
		return "", driver.InvalidPathError{Path: p, DriverName: l.inner.Name()}
	}
	return l.root + p, nil
}

// hasDotComponent reports whether p has a "." or ".." component.
func hasDotComponent(p string) bool {
	for i := 0; i < len(p); i++ {
		if p[i] != '.' || (i > 0 && p[i-1] != '/') {
			continue
		}
		j := i + 1
		if j < len(p) && p[j] == '.' {
			j++
		}
		if j == len(p) || p[j] == '/' {
			return true
		}
	}
	return false
}

func (l *local) notFound(p string) error {
	return driver.PathNotFoundError{Path: p, DriverName: l.inner.Name()}
}

func (l *local) Name() string { return l.inner.Name() }

// GetContent reads the whole file at p.
func (l *local) GetContent(_ context.Context, p string) ([]byte, error) {
	f, err := l.full(p)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(f)
	if os.IsNotExist(err) {
		return nil, l.notFound(p)
	}
	return b, err
}

// Stat is os.Stat of p; a directory has size 0, as in the driver.
func (l *local) Stat(_ context.Context, p string) (driver.FileInfo, error) {
	f, err := l.full(p)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(f)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, l.notFound(p)
		}
		return nil, err
	}
	info := driver.FileInfoFields{Path: p, ModTime: fi.ModTime(), IsDir: fi.IsDir()}
	if !fi.IsDir() {
		info.Size = fi.Size()
	}
	return driver.FileInfoInternal{FileInfoFields: info}, nil
}

// List returns the driver paths of the entries of directory p.
func (l *local) List(_ context.Context, p string) ([]string, error) {
	f, err := l.full(p)
	if err != nil {
		return nil, err
	}
	dir, err := os.Open(f)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, l.notFound(p)
		}
		return nil, err
	}
	defer dir.Close()
	names, err := dir.Readdirnames(0)
	if err != nil {
		return nil, err
	}
	prefix := strings.TrimSuffix(p, "/") + "/"
	for i, n := range names {
		names[i] = prefix + n
	}
	return names, nil
}

// Delete removes p and everything beneath it; a missing p is
// PathNotFoundError.
func (l *local) Delete(_ context.Context, p string) error {
	f, err := l.full(p)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(f); err != nil {
		if os.IsNotExist(err) {
			return l.notFound(p)
		}
		return err
	}
	return os.RemoveAll(f)
}

// DeleteLeaf removes directory dir, which the registry writes holding the
// one file named file: that file, then the directory, two system calls
// where Delete makes about nine. A directory holding anything else is
// removed whole, as Delete would.
func (l *local) DeleteLeaf(ctx context.Context, dir, file string) error {
	f, err := l.full(dir)
	if err != nil {
		return err
	}
	ferr := syscall.Unlink(f + "/" + file)
	switch {
	case ferr == nil || ferr == syscall.ENOENT:
	case ferr == syscall.EISDIR || ferr == syscall.EPERM || ferr == syscall.ENOTDIR:
		return l.Delete(ctx, dir) // file is a directory (EPERM: some systems say so), or dir a file
	default:
		return &os.PathError{Op: "unlink", Path: f + "/" + file, Err: ferr}
	}
	switch derr := syscall.Rmdir(f); derr {
	case nil:
		return nil
	case syscall.ENOENT:
		if ferr == nil {
			return nil
		}
		return l.notFound(dir)
	case syscall.ENOTEMPTY, syscall.EEXIST:
		return l.Delete(ctx, dir) // it holds more than the registry writes there
	default:
		return &os.PathError{Op: "rmdir", Path: f, Err: derr}
	}
}

// The other calls go to distribution's driver, after the path check.

func (l *local) PutContent(ctx context.Context, p string, content []byte) error {
	if _, err := l.full(p); err != nil {
		return err
	}
	return l.inner.PutContent(ctx, p, content)
}

func (l *local) Reader(ctx context.Context, p string, offset int64) (io.ReadCloser, error) {
	if offset < 0 {
		return nil, driver.InvalidOffsetError{Path: p, Offset: offset, DriverName: l.inner.Name()}
	}
	if _, err := l.full(p); err != nil {
		return nil, err
	}
	return l.inner.Reader(ctx, p, offset)
}

func (l *local) Writer(ctx context.Context, p string, appendTo bool) (driver.FileWriter, error) {
	if _, err := l.full(p); err != nil {
		return nil, err
	}
	return l.inner.Writer(ctx, p, appendTo)
}

func (l *local) Move(ctx context.Context, from, to string) error {
	if _, err := l.full(from); err != nil {
		return err
	}
	if _, err := l.full(to); err != nil {
		return err
	}
	return l.inner.Move(ctx, from, to)
}

func (l *local) URLFor(ctx context.Context, p string, options map[string]interface{}) (string, error) {
	if _, err := l.full(p); err != nil {
		return "", err
	}
	return l.inner.URLFor(ctx, p, options)
}

// Walk is distribution's fallback walk (List, then Stat of every entry)
// over this driver's own List and Stat.
func (l *local) Walk(ctx context.Context, p string, f driver.WalkFn) error {
	if _, err := l.full(p); err != nil {
		return err
	}
	return driver.WalkFallback(ctx, l, p, f)
}
