package faults

import (
	"context"

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
