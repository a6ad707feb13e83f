//go:build linux

package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// rootDir is the storage root of the filesystem driver, opened once: every
// access below it is made relative to its file descriptor and never
// follows a symbolic link, so nothing outside the root can be reached
// whatever the tree holds. The root and its ancestors may be symbolic
// links: they are resolved once, when it is opened.
//
// A path is opened with one openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS)
// (Linux 5.6+), which refuses a symbolic link on any component and any
// escape atomically; where openat2 is missing (ENOSYS, or refused by a
// seccomp filter or gVisor) it is walked one component at a time with
// openat(O_NOFOLLOW). Paths given here are relative ("" for the root) and
// made of valid components only (see local.rel).
type rootDir struct {
	fd      int
	name    string // the resolved absolute path, for messages
	openat2 bool   // openat2 with the resolve flags works here
}

const resolveBeneath = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS

// openRootDir resolves root (symbolic links included) and opens it.
func openRootDir(root string) (*rootDir, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, err
	}
	fd, err := retryEINTR(func() (int, error) {
		return unix.Open(resolved, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	})
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: resolved, Err: err}
	}
	r := &rootDir{fd: fd, name: resolved, openat2: probeOpenat2(fd)}
	runtime.AddCleanup(r, func(fd int) { unix.Close(fd) }, fd)
	return r, nil
}

// probeOpenat2 reports whether openat2 with the resolve flags works.
func probeOpenat2(fd int) bool {
	nfd, err := unix.Openat2(fd, ".", &unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC, Resolve: resolveBeneath})
	if err != nil {
		return false
	}
	unix.Close(nfd)
	return true
}

// retryEINTR calls f until it does not fail with EINTR.
func retryEINTR(f func() (int, error)) (int, error) {
	for {
		fd, err := f()
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// open opens rel with flags (O_NOFOLLOW and O_CLOEXEC added: with O_PATH a
// trailing symbolic link is opened as itself, otherwise it is refused).
// A symbolic link on the way is an *AnomalyError naming it; other errors
// are *os.PathError holding the errno.
func (r *rootDir) open(rel string, flags int, mode uint32) (int, error) {
	fd, err := r.openRaw(rel, flags, mode)
	if err != nil {
		return -1, r.pathError("open", rel, err)
	}
	return fd, nil
}

// openRaw is open with the bare errno.
func (r *rootDir) openRaw(rel string, flags int, mode uint32) (int, error) {
	defer runtime.KeepAlive(r)
	flags |= unix.O_NOFOLLOW | unix.O_CLOEXEC
	if flags&unix.O_CREAT == 0 {
		mode = 0 // openat2 refuses a mode without O_CREAT
	}
	if rel == "" {
		rel = "."
	}
	if !r.openat2 {
		return r.walkOpen(rel, flags, mode)
	}
	how := &unix.OpenHow{Flags: uint64(flags), Mode: uint64(mode), Resolve: resolveBeneath}
	for {
		fd, err := unix.Openat2(r.fd, rel, how)
		if err != unix.EINTR && err != unix.EAGAIN {
			return fd, err
		}
	}
}

// walkOpen opens rel one component at a time, each directory with
// O_NOFOLLOW: openat2's work without openat2.
func (r *rootDir) walkOpen(rel string, flags int, mode uint32) (int, error) {
	dir := r.fd
	for {
		c, rest, more := strings.Cut(rel, "/")
		if !more {
			fd, err := retryEINTR(func() (int, error) { return unix.Openat(dir, c, flags, mode) })
			if dir != r.fd {
				unix.Close(dir)
			}
			return fd, err
		}
		next, err := retryEINTR(func() (int, error) {
			return unix.Openat(dir, c, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		})
		if dir != r.fd {
			unix.Close(dir)
		}
		if err != nil {
			return -1, err // ENOTDIR for a link or a file on the way: pathError tells which
		}
		dir, rel = next, rest
	}
}

// pathError turns the errno of an operation on rel into an error: a
// symbolic link on the way (ELOOP, ENOTDIR, EXDEV) is an *AnomalyError
// naming it, anything else an *os.PathError with the driver path.
func (r *rootDir) pathError(op, rel string, err error) error {
	if err == unix.ELOOP || err == unix.ENOTDIR || err == unix.EXDEV {
		if p, k := r.firstOdd(rel); p != "" {
			return anomaly(p, k)
		}
		if err == unix.ELOOP || err == unix.EXDEV {
			return anomaly("/"+rel, KindSymlink) // it changed meanwhile: still a link
		}
	}
	return &os.PathError{Op: op, Path: "/" + rel, Err: err}
}

// firstOdd walks rel one component at a time without following anything
// and returns the driver path and kind of the first component that is a
// symbolic link or a special file; "" when there is none (a missing or
// regular component stops the walk).
func (r *rootDir) firstOdd(rel string) (string, Kind) {
	defer runtime.KeepAlive(r)
	dir, walked := r.fd, ""
	defer func() {
		if dir != r.fd {
			unix.Close(dir)
		}
	}()
	for {
		c, rest, more := strings.Cut(rel, "/")
		walked += "/" + c
		var st unix.Stat_t
		if unix.Fstatat(dir, c, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
			return "", KindUnknown
		}
		switch k := kindOfMode(st.Mode); {
		case k == KindSymlink || k == KindSpecial:
			return walked, k
		case k != KindDir || !more:
			return "", KindUnknown
		}
		next, err := unix.Openat(dir, c, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return "", KindUnknown
		}
		if dir != r.fd {
			unix.Close(dir)
		}
		dir, rel = next, rest
	}
}

// lstat stats rel itself: a symbolic link is not followed.
func (r *rootDir) lstat(rel string, st *unix.Stat_t) error {
	fd, err := r.open(rel, unix.O_PATH, 0)
	if err != nil {
		return err
	}
	err = unix.Fstat(fd, st)
	unix.Close(fd)
	if err != nil {
		return &os.PathError{Op: "fstat", Path: "/" + rel, Err: err}
	}
	return nil
}

// kindOfMode is the Kind of a stat mode.
func kindOfMode(m uint32) Kind {
	switch m & unix.S_IFMT {
	case unix.S_IFDIR:
		return KindDir
	case unix.S_IFREG:
		return KindFile
	case unix.S_IFLNK:
		return KindSymlink
	}
	return KindSpecial
}

// splitRel splits rel into its parent ("" for the root) and base name.
func splitRel(rel string) (parent, base string) {
	i := strings.LastIndexByte(rel, '/')
	if i < 0 {
		return "", rel
	}
	return rel[:i], rel[i+1:]
}

// isErrno reports whether err holds errno e.
func isErrno(err error, e unix.Errno) bool { return errors.Is(err, e) }

// String names the root for messages.
func (r *rootDir) String() string { return fmt.Sprintf("root %s", r.name) }
