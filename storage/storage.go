package storage

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/docker/distribution/registry/storage/driver"
)

// Storage is an opened registry storage. All access goes through Driver,
// so that any distribution storage driver can stand behind it.
type Storage struct {
	Driver    driver.StorageDriver
	Type      string   // driver name: "filesystem", "s3aws", ...
	LocalRoot string   // the filesystem root, "" for other drivers
	Location  Location // how it was found

	// objects, on S3, lists and deletes leaves in bulk (see objects.go);
	// nil elsewhere.
	objects *objects
	// local is the filesystem driver, confined below the root (see
	// local.go); nil for other drivers.
	local *local
}

// Describe names the storage for humans: driver, root and how it was found.
func (s *Storage) Describe() string {
	where := s.LocalRoot
	if where == "" {
		where = s.Location.Config
	}
	return fmt.Sprintf("%s storage %s (from %s)", s.Type, where, s.Location.How)
}

// Stat returns size and modification time of p; missing is ErrNotFound.
func (s *Storage) Stat(ctx context.Context, p string) (driver.FileInfo, error) {
	fi, err := s.Driver.Stat(ctx, p)
	if err != nil {
		return nil, wrapDriver(p, err)
	}
	return fi, nil
}

// ModTime is the modification time of p.
func (s *Storage) ModTime(ctx context.Context, p string) (time.Time, error) {
	fi, err := s.Stat(ctx, p)
	if err != nil {
		return time.Time{}, err
	}
	return fi.ModTime(), nil
}

// ListNames lists the base names of the entries of directory p, sorted.
// A missing directory is empty, not an error: absence is a fact.
func (s *Storage) ListNames(ctx context.Context, p string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	children, err := s.Driver.List(ctx, p)
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, wrapDriver(p, err)
	}
	names := make([]string, len(children))
	for i, c := range children {
		names[i] = c[strings.LastIndexByte(c, '/')+1:]
	}
	sort.Strings(names)
	return names, nil
}

// ListDigests lists a directory whose entries are named by digest hex
// (revisions, layer links, tag history, a blob prefix directory). An entry
// that is not a digest is an error naming it: the registry never writes one.
func (s *Storage) ListDigests(ctx context.Context, p string) ([]Digest, error) {
	names, err := s.ListNames(ctx, p)
	if err != nil {
		return nil, err
	}
	ds := make([]Digest, 0, len(names))
	for _, n := range names {
		d, err := ParseHex(n)
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", p, n, err)
		}
		ds = append(ds, d)
	}
	return ds, nil
}

// Delete removes p and everything beneath it. Deleting what is already
// gone succeeds, so that a re-run after a crash completes the job.
func (s *Storage) Delete(ctx context.Context, p string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.Driver.Delete(ctx, p); err != nil && !isNotFound(err) {
		return wrapDriver(p, err)
	}
	return nil
}

// LeafDeleter is a driver that removes a directory holding one known file
// more cheaply than Delete: Open's filesystem driver does. Test wrappers of
// the driver forward it.
type LeafDeleter interface {
	DeleteLeaf(ctx context.Context, dir, file string) error
}

// deleteLeaf removes dir, which the registry writes holding only file, as
// Delete would.
func (s *Storage) deleteLeaf(ctx context.Context, dir, file string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var err error
	if ld, ok := s.Driver.(LeafDeleter); ok {
		err = ld.DeleteLeaf(ctx, dir, file)
	} else {
		err = s.Driver.Delete(ctx, dir)
	}
	if err != nil && !isNotFound(err) {
		return wrapDriver(dir, err)
	}
	return nil
}

// wrapDriver turns a driver error into one naming the path, wrapping
// ErrNotFound for a missing path.
func wrapDriver(p string, err error) error {
	if isNotFound(err) {
		return fmt.Errorf("%s: %w", p, ErrNotFound)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if ae, ok := IsAnomaly(err); ok && ae.Path == p {
		return err // it names p already
	}
	return fmt.Errorf("%s: %w", p, err)
}
