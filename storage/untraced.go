package storage

import (
	"context"
	"io"

	"github.com/docker/distribution/registry/storage/driver"
	"github.com/docker/distribution/registry/storage/driver/filesystem"
)

// untraced returns the filesystem driver without distribution's base
// wrapper, which traces every call (a runtime.Caller and a logrus entry
// built per call, even with debug logging off) and matches every path
// against a regexp: about a sixth of gc's CPU on a large tree. The path
// check is kept, written out by hand; errors are the driver's own (not
// found is still driver.PathNotFoundError). Other drivers are returned
// unchanged: their calls cost far more than the wrapper.
func untraced(d driver.StorageDriver) driver.StorageDriver {
	fd, ok := d.(*filesystem.Driver)
	if !ok || fd.Base.StorageDriver == nil {
		return d
	}
	return checkedPaths{fd.Base.StorageDriver}
}

// checkedPaths rejects what storagedriver.PathRegexp rejects:
// ^(/[A-Za-z0-9._-]+)+$.
type checkedPaths struct{ inner driver.StorageDriver }

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

func (c checkedPaths) invalid(p string) error {
	return driver.InvalidPathError{Path: p, DriverName: c.inner.Name()}
}

func (c checkedPaths) Name() string { return c.inner.Name() }

func (c checkedPaths) GetContent(ctx context.Context, p string) ([]byte, error) {
	if !validPath(p) {
		return nil, c.invalid(p)
	}
	return c.inner.GetContent(ctx, p)
}

func (c checkedPaths) PutContent(ctx context.Context, p string, content []byte) error {
	if !validPath(p) {
		return c.invalid(p)
	}
	return c.inner.PutContent(ctx, p, content)
}

func (c checkedPaths) Reader(ctx context.Context, p string, offset int64) (io.ReadCloser, error) {
	if offset < 0 {
		return nil, driver.InvalidOffsetError{Path: p, Offset: offset, DriverName: c.inner.Name()}
	}
	if !validPath(p) {
		return nil, c.invalid(p)
	}
	return c.inner.Reader(ctx, p, offset)
}

func (c checkedPaths) Writer(ctx context.Context, p string, appendTo bool) (driver.FileWriter, error) {
	if !validPath(p) {
		return nil, c.invalid(p)
	}
	return c.inner.Writer(ctx, p, appendTo)
}

func (c checkedPaths) Stat(ctx context.Context, p string) (driver.FileInfo, error) {
	if !validPath(p) && p != "/" {
		return nil, c.invalid(p)
	}
	return c.inner.Stat(ctx, p)
}

func (c checkedPaths) List(ctx context.Context, p string) ([]string, error) {
	if !validPath(p) && p != "/" {
		return nil, c.invalid(p)
	}
	return c.inner.List(ctx, p)
}

func (c checkedPaths) Move(ctx context.Context, from, to string) error {
	if !validPath(from) {
		return c.invalid(from)
	}
	if !validPath(to) {
		return c.invalid(to)
	}
	return c.inner.Move(ctx, from, to)
}

func (c checkedPaths) Delete(ctx context.Context, p string) error {
	if !validPath(p) {
		return c.invalid(p)
	}
	return c.inner.Delete(ctx, p)
}

func (c checkedPaths) URLFor(ctx context.Context, p string, options map[string]interface{}) (string, error) {
	if !validPath(p) {
		return "", c.invalid(p)
	}
	return c.inner.URLFor(ctx, p, options)
}

func (c checkedPaths) Walk(ctx context.Context, p string, f driver.WalkFn) error {
	if !validPath(p) && p != "/" {
		return c.invalid(p)
	}
	return c.inner.Walk(ctx, p, f)
}
