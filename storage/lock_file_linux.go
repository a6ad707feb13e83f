//go:build linux

package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// lockFile flocks the lock file, retrying until opts.Wait has passed.
func (s *Storage) lockFile(ctx context.Context, opts LockOptions) (*Lock, error) {
	wait := opts.Wait
	p := filepath.Join(s.LocalRoot, filepath.FromSlash(LockPath()))
	fd, err := s.local.root.openLockFile(LockPath()[1:])
	if err != nil {
		return nil, lockFileError(p, err)
	}
	deadline := time.Now().Add(wait)
	for told := false; ; {
		err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		switch {
		case err == nil:
			return &Lock{Path: p, fd: fd}, nil
		case err == unix.EINTR:
			continue
		case err != unix.EWOULDBLOCK:
			unix.Close(fd)
			return nil, fmt.Errorf("lock %s: %w", p, err)
		}
		if time.Now().After(deadline) {
			unix.Close(fd)
			if wait > 0 {
				return nil, fmt.Errorf("%w: %s (waited %s)", ErrLocked, p, wait)
			}
			return nil, fmt.Errorf("%w: %s (use --lock-timeout to wait)", ErrLocked, p)
		}
		if !told && opts.Waiting != nil {
			told = true
			opts.Waiting(fmt.Sprintf("the lock file %s, held by another process (a file lock records no holder)", p))
		}
		select {
		case <-ctx.Done():
			unix.Close(fd)
			return nil, errors.Join(fmt.Errorf("%w: %s", ErrLocked, p), ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// lockFileError explains why lock file p could not be opened, and what to
// do about it.
func lockFileError(p string, err error) error {
	var ae *AnomalyError
	switch {
	case errors.As(err, &ae):
		return fmt.Errorf("lock file %s is a %s, not a regular file: regprune neither follows nor uses it; "+
			"remove it (rm %s) and run again: %w", p, ae.Kind, p, err)
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM), errors.Is(err, unix.EROFS):
		return fmt.Errorf("cannot open the lock file %s: %w; run regprune as the user that owns the registry's storage, "+
			"or let this user read the lock file (chmod a+r %s)", p, err, p)
	}
	return fmt.Errorf("cannot open the lock file %s: %w", p, err)
}

// openLockFile opens lock file rel for flock, following nothing: created
// (O_CREAT|O_EXCL|O_NOFOLLOW) with mode 0644 whatever the umask, so that
// the registry's user can lock it after a run as root; an existing one is
// opened read-write, else read-only (an exclusive flock needs no write
// access). Anything but a regular file is refused unopened.
func (r *rootDir) openLockFile(rel string) (int, error) {
	parent, base := splitRel(rel)
	pfd, err := r.open(parent, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return -1, err
	}
	defer unix.Close(pfd)
	p := "/" + rel
	const flags = unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_NOCTTY | unix.O_CLOEXEC
	fd, err := retryEINTR(func() (int, error) { return unix.Openat(pfd, base, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|flags, 0o644) })
	if err == nil {
		if err := unix.Fchmod(fd, 0o644); err != nil {
			unix.Close(fd)
			return -1, &os.PathError{Op: "chmod", Path: p, Err: err}
		}
		return fd, nil
	}
	if err != unix.EEXIST {
		return -1, &os.PathError{Op: "create", Path: p, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return -1, &os.PathError{Op: "lstat", Path: p, Err: err}
	}
	if k := kindOfMode(st.Mode); k != KindFile {
		return -1, notRegular(rel, k)
	}
	fd, err = retryEINTR(func() (int, error) { return unix.Openat(pfd, base, unix.O_RDWR|flags, 0) })
	if err == unix.EACCES || err == unix.EROFS || err == unix.EPERM {
		fd, err = retryEINTR(func() (int, error) { return unix.Openat(pfd, base, unix.O_RDONLY|flags, 0) })
	}
	if err != nil {
		if err == unix.ELOOP {
			return -1, anomaly(p, KindSymlink)
		}
		return -1, &os.PathError{Op: "open", Path: p, Err: err}
	}
	if err := unix.Fstat(fd, &st); err != nil || kindOfMode(st.Mode) != KindFile {
		unix.Close(fd)
		if err != nil {
			return -1, &os.PathError{Op: "fstat", Path: p, Err: err}
		}
		return -1, notRegular(rel, kindOfMode(st.Mode))
	}
	return fd, nil
}

// unlockFile releases the flock and closes the lock file.
func (l *Lock) unlockFile() error {
	if l.fd < 0 {
		return nil
	}
	err := unix.Flock(l.fd, unix.LOCK_UN)
	if cerr := unix.Close(l.fd); err == nil {
		err = cerr
	}
	l.fd = -1
	return err
}
