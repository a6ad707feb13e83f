package storage

import (
	"context"
	"strings"
	"time"
)

// debrisDeleter is a driver that removes debris leaves and empty
// directories itself, atomically against a concurrent write (the
// filesystem driver: rmdir, which fails on a directory that is not
// empty).
type debrisDeleter interface {
	deleteDebris(ctx context.Context, dir, file string) (bool, error)
	removeEmptyDir(ctx context.Context, dir string) (bool, error)
}

// DeleteDebris removes leaf directory l when it holds no l.File (a
// revision, layer link or tag history entry whose link is gone: see
// Links.Debris), with what else it holds, and reports whether it went.
// It never removes a link: one written since the listing (a push of the
// same manifest) keeps the leaf, and false is returned. A missing leaf is
// gone (true). On a filesystem the leaf's last step is an rmdir, which
// fails on a directory a link was written to meanwhile; on object
// storage the keys beneath the leaf other than its link are deleted (a
// directory there is nothing but its keys).
func (s *Storage) DeleteDebris(ctx context.Context, l Leaf) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	switch dd, ok := s.Driver.(debrisDeleter); {
	case s.objects != nil:
		return s.objects.deleteDebris(ctx, l.Dir, l.File)
	case ok:
		gone, err := dd.deleteDebris(ctx, l.Dir, l.File)
		if isNotFound(err) {
			return true, nil
		}
		if err != nil {
			return false, wrapDriver(l.Dir, err)
		}
		return gone, nil
	default:
		return s.deleteDebrisByList(ctx, l)
	}
}

// deleteDebrisByList is DeleteDebris for any driver: the leaf's entries
// other than its file, then the leaf when a last listing finds it empty
// (not atomic: only test wrappers of the drivers take this way).
func (s *Storage) deleteDebrisByList(ctx context.Context, l Leaf) (bool, error) {
	names, err := s.ListNames(ctx, l.Dir)
	if err != nil {
		return false, err
	}
	for _, n := range names {
		if n == l.File {
			return false, nil
		}
	}
	for _, n := range names {
		if err := s.Delete(ctx, l.Dir+"/"+n); err != nil {
			return false, err
		}
	}
	return s.RemoveEmptyDir(ctx, l.Dir)
}

// RemoveEmptyDir removes directory p when it has no entries and reports
// whether it is gone (a missing p is). On a filesystem it is one rmdir,
// which fails on a directory a concurrent push wrote to; object storage
// has no empty directories (true, nothing done).
func (s *Storage) RemoveEmptyDir(ctx context.Context, p string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if s.objects != nil {
		return true, nil
	}
	if dd, ok := s.Driver.(debrisDeleter); ok {
		gone, err := dd.removeEmptyDir(ctx, p)
		if isNotFound(err) {
			return true, nil
		}
		if err != nil {
			return false, wrapDriver(p, err)
		}
		return gone, nil
	}
	names, err := s.ListNames(ctx, p)
	if err != nil || len(names) > 0 {
		return false, err
	}
	return true, s.Delete(ctx, p)
}

// deleteDebris is DeleteDebris on object storage.
func (o *objects) deleteDebris(ctx context.Context, dir, file string) (bool, error) {
	var keys []string
	linked := false
	err := o.listTree(ctx, dir, func(p string, _ int64, _ time.Time) {
		rest := strings.TrimPrefix(p, dir+"/")
		switch {
		case rest == file || strings.HasPrefix(rest, file+"/"):
			linked = true
		case safeDriverPath(p): // an odd key is left alone
			keys = append(keys, p)
		}
	})
	if err != nil {
		return false, err
	}
	for len(keys) > 0 {
		n := min(len(keys), deleteBatch)
		if err := o.deleteKeys(ctx, keys[:n]); err != nil {
			return false, err
		}
		keys = keys[n:]
	}
	return !linked, nil
}
