package faults

import (
	"context"
	"time"

	"github.com/regprune/regprune/storage"
)

// ListEntries (storage.EntryLister) counts a List call and lists through
// the wrapped driver (its own ListEntries when it has one).
func (d *Driver) ListEntries(ctx context.Context, p string) ([]storage.Entry, error) {
	if err := d.call(List, p); err != nil {
		return nil, err
	}
	return (&storage.Storage{Driver: d.inner}).ListEntries(ctx, p)
}

// ReadFile (storage.FileReader) counts a GetContent call and reads
// through the wrapped driver (its own bounded ReadFile when it has one).
func (d *Driver) ReadFile(ctx context.Context, p string, limit int64) ([]byte, error) {
	if err := d.call(GetContent, p); err != nil {
		return nil, err
	}
	return (&storage.Storage{Driver: d.inner}).ReadFile(ctx, p, limit)
}

// PutContentTimed (storage.TimedPutter) counts a PutContent call and goes
// to the wrapped driver's PutContentTimed when it has one, else to its
// PutContent (the time is then the write's).
func (d *Driver) PutContentTimed(ctx context.Context, p string, content []byte, mtime time.Time) error {
	if err := d.call(PutContent, p); err != nil {
		return err
	}
	if tp, ok := d.inner.(storage.TimedPutter); ok {
		return tp.PutContentTimed(ctx, p, content, mtime)
	}
	return d.inner.PutContent(ctx, p, content)
}
