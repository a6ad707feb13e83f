package storage

import (
	"context"
	"fmt"
	"strings"
)

// regprune's own state (the journal, pull history and caches) lives in
// StatePath, next to the lock: one directory, written only through these
// calls, confined as every other access (on a filesystem, a symbolic link
// there, the directory itself included, is refused, never followed).

// ValidStateName checks a state name: "/"-separated components, each a
// valid path component (ValidComponent) not starting with "." (temporary
// files do).
func ValidStateName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty state name", ErrBadName)
	}
	for _, c := range strings.Split(name, "/") {
		if !ValidComponent(c) || strings.HasPrefix(c, ".") {
			return fmt.Errorf("%w: state name %s: component %s", ErrBadName, quoteName(name), quoteName(c))
		}
	}
	return nil
}

// WriteState replaces state file name with data, atomically: a reader
// sees the old content or the new, never part of either. On a filesystem
// it is a new file, synced, renamed over the old one, the directory synced
// (missing directories are created, following nothing); on object storage
// one PUT.
func (s *Storage) WriteState(ctx context.Context, name string, data []byte) error {
	if err := ValidStateName(name); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	p := StateFilePath(name)
	if err := s.Driver.PutContent(ctx, p, data); err != nil {
		return fmt.Errorf("writing state: %w", wrapDriver(p, err))
	}
	return nil
}

// ReadState reads state file name, at most limit bytes (see ReadFile): a
// missing one is ErrNotFound, a larger one ErrTooLarge.
func (s *Storage) ReadState(ctx context.Context, name string, limit int64) ([]byte, error) {
	if err := ValidStateName(name); err != nil {
		return nil, err
	}
	return s.ReadFile(ctx, StateFilePath(name), limit)
}

// ListState lists state directory dir ("" for StatePath itself), sorted,
// with kinds; temporary files of unfinished writes are left out. A
// missing directory is empty.
func (s *Storage) ListState(ctx context.Context, dir string) ([]Entry, error) {
	p := StatePath()
	if dir != "" {
		if err := ValidStateName(dir); err != nil {
			return nil, err
		}
		p = StateFilePath(dir)
	}
	es, err := s.ListEntries(ctx, p)
	if err != nil {
		return nil, err
	}
	out := es[:0]
	for _, e := range es {
		if !strings.HasPrefix(e.Name, ".") {
			out = append(out, e)
		}
	}
	return out, nil
}

// DeleteState removes state file (or directory) name; one already gone is
// no error.
func (s *Storage) DeleteState(ctx context.Context, name string) error {
	if err := ValidStateName(name); err != nil {
		return err
	}
	return s.Delete(ctx, StateFilePath(name))
}
