//go:build linux

package storage

import (
	"context"
	"os"

	"golang.org/x/sys/unix"
)

// deleteDebris (debrisDeleter) is DeleteDebris: the leaf is opened
// (following nothing) and listed; with file in it nothing is removed;
// otherwise each entry goes (as removeAll would: a tree holding a symbolic
// link is refused), then the leaf, by an rmdir that fails, leaving it,
// when a link was written meanwhile.
func (l *local) deleteDebris(_ context.Context, dir, file string) (bool, error) {
	parent, base, err := l.leafRel(Leaf{Dir: dir, File: file})
	if err != nil {
		return false, err
	}
	pfd, err := l.root.open(parent, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return false, l.fail(dir, err)
	}
	defer unix.Close(pfd)
	dfd, err := openAt(pfd, base, unix.O_RDONLY|unix.O_DIRECTORY, dir)
	if err != nil {
		return false, l.fail(dir, err)
	}
	es, err := readDirFd(dfd, nil)
	if err != nil {
		unix.Close(dfd)
		return false, &os.PathError{Op: "getdents", Path: dir, Err: err}
	}
	for _, e := range es {
		if e.Name == file {
			unix.Close(dfd)
			return false, nil
		}
	}
	for _, e := range es {
		if err := removeAllAt(dfd, e.Name, dir+"/"+e.Name); err != nil && !isErrno(err, unix.ENOENT) {
			unix.Close(dfd)
			return false, err
		}
	}
	unix.Close(dfd)
	return rmdirAt(pfd, base, dir)
}

// removeEmptyDir (debrisDeleter) is RemoveEmptyDir: one rmdir relative
// to the parent, opened following nothing.
func (l *local) removeEmptyDir(_ context.Context, dir string) (bool, error) {
	rel, err := l.rel(dir)
	if err != nil {
		return false, err
	}
	if rel == "" {
		return false, &os.PathError{Op: "rmdir", Path: dir, Err: unix.EINVAL}
	}
	parent, base := splitRel(rel)
	pfd, err := l.root.open(parent, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return false, l.fail(dir, err)
	}
	defer unix.Close(pfd)
	return rmdirAt(pfd, base, dir)
}

// rmdirAt removes empty directory name of pfd (driver path p): false when
// it is not empty, true when it is gone (or was).
func rmdirAt(pfd int, name, p string) (bool, error) {
	switch err := unix.Unlinkat(pfd, name, unix.AT_REMOVEDIR); err {
	case nil, unix.ENOENT:
		return true, nil
	case unix.ENOTEMPTY, unix.EEXIST:
		return false, nil
	case unix.ENOTDIR:
		return false, anomalyOrPath(pfd, name, p, err)
	default:
		return false, &os.PathError{Op: "rmdir", Path: p, Err: err}
	}
}

// anomalyOrPath is the error for entry name of pfd that is not the
// directory expected: an *AnomalyError for a symbolic link or special
// file, else an *os.PathError holding err.
func anomalyOrPath(pfd int, name, p string, err error) error {
	var st unix.Stat_t
	if unix.Fstatat(pfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
		if k := kindOfMode(st.Mode); k == KindSymlink || k == KindSpecial {
			return anomaly(p, k)
		}
	}
	return &os.PathError{Op: "rmdir", Path: p, Err: err}
}
