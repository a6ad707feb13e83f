//go:build linux

package storage

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// maxDeleteDepth bounds how deep a recursive delete goes: the registry
// writes trees of ten levels at most (nested repository names aside); a
// deeper one is refused rather than walked with a file descriptor a level.
const maxDeleteDepth = 64

// removeAll removes rel and everything beneath it, following nothing. A
// symbolic link anywhere in it is refused before anything is removed (an
// *AnomalyError naming it): the registry never writes one, so it may be
// how an operator moved data elsewhere. Special files are removed as the
// entries they are. A missing rel is an *os.PathError holding ENOENT.
func (r *rootDir) removeAll(rel string) error {
	parent, base := splitRel(rel)
	pfd, err := r.open(parent, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	return removeAllAt(pfd, base, "/"+rel)
}

// removeAllAt is removeAll of entry name of directory pfd, whose driver
// path is p.
func removeAllAt(pfd int, name, p string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "lstat", Path: p, Err: err}
	}
	switch k := kindOfMode(st.Mode); k {
	case KindSymlink:
		return anomaly(p, k)
	case KindDir:
	default:
		return unlinkAt(pfd, name, 0, p)
	}
	tree, err := collectTree(pfd, name, p, 0)
	if err != nil {
		return err
	}
	return removeTree(pfd, tree, p)
}

// dirTree is a directory to remove: its subdirectories and other entries.
type dirTree struct {
	name  string
	dirs  []*dirTree
	files []string // regular and special files
}

// collectTree lists directory name of pfd and everything beneath it; a
// symbolic link is an error naming it.
func collectTree(pfd int, name, p string, depth int) (*dirTree, error) {
	if depth > maxDeleteDepth {
		return nil, fmt.Errorf("%s: more than %d levels deep: not removed", p, maxDeleteDepth)
	}
	fd, err := openAt(pfd, name, unix.O_RDONLY|unix.O_DIRECTORY, p)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	es, err := readDirFd(fd, nil)
	if err != nil {
		return nil, &os.PathError{Op: "getdents", Path: p, Err: err}
	}
	t := &dirTree{name: name}
	for _, e := range es {
		switch e.Kind {
		case KindSymlink:
			return nil, anomaly(p+"/"+e.Name, e.Kind)
		case KindDir:
			sub, err := collectTree(fd, e.Name, p+"/"+e.Name, depth+1)
			if err != nil {
				return nil, err
			}
			t.dirs = append(t.dirs, sub)
		default:
			t.files = append(t.files, e.Name)
		}
	}
	return t, nil
}

// removeTree removes what collectTree found, deepest first. An entry gone
// meanwhile is fine; one added meanwhile makes its directory's removal
// fail (ENOTEMPTY), and the error says so.
func removeTree(pfd int, t *dirTree, p string) error {
	fd, err := openAt(pfd, t.name, unix.O_PATH|unix.O_DIRECTORY, p)
	if err != nil {
		if isErrno(err, unix.ENOENT) {
			return nil
		}
		return err
	}
	for _, d := range t.dirs {
		if err := removeTree(fd, d, p+"/"+d.name); err != nil {
			unix.Close(fd)
			return err
		}
	}
	for _, f := range t.files {
		if err := unlinkAt(fd, f, 0, p+"/"+f); err != nil && !isErrno(err, unix.ENOENT) {
			unix.Close(fd)
			return err
		}
	}
	unix.Close(fd)
	if err := unlinkAt(pfd, t.name, unix.AT_REMOVEDIR, p); err != nil && !isErrno(err, unix.ENOENT) {
		return err
	}
	return nil
}

// openAt opens entry name of directory dfd with flags, following nothing:
// a symbolic link or special file where a directory was asked for is an
// *AnomalyError naming it (driver path p).
func openAt(dfd int, name string, flags int, p string) (int, error) {
	fd, err := retryEINTR(func() (int, error) {
		return unix.Openat(dfd, name, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	})
	if err == nil {
		return fd, nil
	}
	if err == unix.ELOOP || err == unix.ENOTDIR {
		var st unix.Stat_t
		if unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
			if k := kindOfMode(st.Mode); k == KindSymlink || k == KindSpecial {
				return -1, anomaly(p, k)
			}
		}
	}
	return -1, &os.PathError{Op: "open", Path: p, Err: err}
}

// unlinkAt is unlinkat(2) with an *os.PathError naming driver path p.
func unlinkAt(dfd int, name string, flags int, p string) error {
	if err := unix.Unlinkat(dfd, name, flags); err != nil {
		op := "unlink"
		if flags&unix.AT_REMOVEDIR != 0 {
			op = "rmdir"
		}
		return &os.PathError{Op: op, Path: p, Err: err}
	}
	return nil
}

// deleteLeaf removes directory dirRel, which the registry writes holding
// the one file named file: that file, then the directory (open the
// parent, open the directory, unlink, rmdir: each relative to a directory
// opened without following links). A directory holding anything else is
// then removed as removeAll would (a symbolic link in it is refused,
// after the file went). A missing directory is ENOENT.
func (r *rootDir) deleteLeaf(dirRel, file string) error {
	parent, base := splitRel(dirRel)
	pfd, err := r.open(parent, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	return deleteLeafAt(pfd, base, file, "/"+dirRel)
}

// deleteLeafAt is deleteLeaf of entry name of directory pfd (driver path
// p). The leaf's file is unlinked whatever it is (unlink never follows a
// link: a symbolic link there goes, never its target).
func deleteLeafAt(pfd int, name, file, p string) error {
	dfd, err := openAt(pfd, name, unix.O_PATH|unix.O_DIRECTORY, p)
	if err != nil {
		if isErrno(err, unix.ENOTDIR) {
			return removeAllAt(pfd, name, p) // a file where the directory was
		}
		return err
	}
	ferr := unix.Unlinkat(dfd, file, 0)
	unix.Close(dfd)
	switch ferr {
	case nil, unix.ENOENT:
	case unix.EISDIR, unix.EPERM:
		return removeAllAt(pfd, name, p) // file is a directory (EPERM: some systems say so)
	default:
		return &os.PathError{Op: "unlink", Path: p + "/" + file, Err: ferr}
	}
	switch derr := unix.Unlinkat(pfd, name, unix.AT_REMOVEDIR); derr {
	case nil:
		return nil
	case unix.ENOENT:
		if ferr == nil {
			return nil
		}
		return &os.PathError{Op: "rmdir", Path: p, Err: derr}
	case unix.ENOTEMPTY, unix.EEXIST:
		return removeAllAt(pfd, name, p) // it holds more than the registry writes there
	default:
		return &os.PathError{Op: "rmdir", Path: p, Err: derr}
	}
}
