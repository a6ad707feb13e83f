package faults

import (
	"context"
	"io"

	"github.com/docker/distribution/registry/storage/driver"
)

var _ driver.StorageDriver = (*Driver)(nil)

// Name is the wrapped driver's name: commands that print it are unchanged.
func (d *Driver) Name() string { return d.inner.Name() }

// GetContent counts a GetContent call.
func (d *Driver) GetContent(ctx context.Context, p string) ([]byte, error) {
	if err := d.call(GetContent, p); err != nil {
		return nil, err
	}
	return d.inner.GetContent(ctx, p)
}

// PutContent counts a PutContent call.
func (d *Driver) PutContent(ctx context.Context, p string, content []byte) error {
	if err := d.call(PutContent, p); err != nil {
		return err
	}
	return d.inner.PutContent(ctx, p, content)
}

// Reader counts a Reader call.
func (d *Driver) Reader(ctx context.Context, p string, offset int64) (io.ReadCloser, error) {
	if err := d.call(Reader, p); err != nil {
		return nil, err
	}
	return d.inner.Reader(ctx, p, offset)
}

// Writer counts a Writer call.
func (d *Driver) Writer(ctx context.Context, p string, append bool) (driver.FileWriter, error) {
	if err := d.call(Writer, p); err != nil {
		return nil, err
	}
	return d.inner.Writer(ctx, p, append)
}

// Stat counts a Stat call.
func (d *Driver) Stat(ctx context.Context, p string) (driver.FileInfo, error) {
	if err := d.call(Stat, p); err != nil {
		return nil, err
	}
	return d.inner.Stat(ctx, p)
}

// List counts a List call.
func (d *Driver) List(ctx context.Context, p string) ([]string, error) {
	if err := d.call(List, p); err != nil {
		return nil, err
	}
	return d.inner.List(ctx, p)
}

// Move counts a Move call; the source path is the one named.
func (d *Driver) Move(ctx context.Context, src, dst string) error {
	if err := d.call(Move, src); err != nil {
		return err
	}
	return d.inner.Move(ctx, src, dst)
}

// Delete counts a Delete call.
func (d *Driver) Delete(ctx context.Context, p string) error {
	if err := d.call(Delete, p); err != nil {
		return err
	}
	return d.inner.Delete(ctx, p)
}

// DeleteLeaf (storage.LeafDeleter) counts a Delete call of dir and goes to
// the wrapped driver's DeleteLeaf when it has one, else to its Delete.
func (d *Driver) DeleteLeaf(ctx context.Context, dir, file string) error {
	if err := d.call(Delete, dir); err != nil {
		return err
	}
	if ld, ok := d.inner.(interface {
		DeleteLeaf(context.Context, string, string) error
	}); ok {
		return ld.DeleteLeaf(ctx, dir, file)
	}
	return d.inner.Delete(ctx, dir)
}

// URLFor counts a URLFor call.
func (d *Driver) URLFor(ctx context.Context, p string, options map[string]interface{}) (string, error) {
	if err := d.call(URLFor, p); err != nil {
		return "", err
	}
	return d.inner.URLFor(ctx, p, options)
}

// Walk counts a Walk call, and each entry it visits as a WalkEntry: a
// failing entry ends the walk with the injected error, as a directory that
// cannot be read half-way through would.
func (d *Driver) Walk(ctx context.Context, p string, f driver.WalkFn) error {
	if err := d.call(Walk, p); err != nil {
		return err
	}
	var injected error
	err := d.inner.Walk(ctx, p, func(fi driver.FileInfo) error {
		if err := d.call(WalkEntry, fi.Path()); err != nil {
			injected = err
			return err
		}
		return f(fi)
	})
	if injected != nil {
		// The wrapped driver hides the cause in a driver.Error that does
		// not unwrap: return the injected error itself.
		return injected
	}
	return err
}
