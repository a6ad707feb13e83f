//go:build linux

package storage

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// openDir opens directory rel with flags (O_PATH or O_RDONLY, with
// O_DIRECTORY added), creating it and its missing parents when create is
// set (mode 0777 before the umask, as the registry's driver does), never
// following a link: a symbolic link on the way is an *AnomalyError.
func (r *rootDir) openDir(rel string, flags int, create bool) (int, error) {
	flags |= unix.O_DIRECTORY
	fd, err := r.openRaw(rel, flags, 0)
	if err == nil {
		return fd, nil
	}
	if err != unix.ENOENT || !create || rel == "" {
		return -1, r.pathError("open", rel, err)
	}
	parent, base := splitRel(rel)
	pfd, err := r.openDir(parent, unix.O_PATH, true)
	if err != nil {
		return -1, err
	}
	defer unix.Close(pfd)
	if err := unix.Mkdirat(pfd, base, 0o777); err != nil && err != unix.EEXIST {
		return -1, &os.PathError{Op: "mkdir", Path: "/" + rel, Err: err}
	}
	return openAt(pfd, base, flags, "/"+rel)
}

// tempName is a fresh name for a temporary file next to base: it starts
// with a dot, which no name of the registry's layout does.
func tempName(base string) (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "." + base[:min(len(base), 64)] + ".tmp-" + hex.EncodeToString(b[:]), nil
}

// putFile replaces rel with a regular file holding data, atomically and
// durably: a new file (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0666 before the
// umask) in the same directory, written, synced, renamed over rel (the
// rename replaces an entry there, never follows it), then the directory
// synced. Missing parent directories are created. A non-zero mtime is
// set on the new file before the rename (utimensat relative to the
// directory, AT_SYMLINK_NOFOLLOW), so that rel appears with it: a tag's
// current link put back with its push time.
func (r *rootDir) putFile(rel string, data []byte, mtime time.Time) error {
	parent, base := splitRel(rel)
	pfd, err := r.openDir(parent, unix.O_RDONLY, true)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	tmp, err := tempName(base)
	if err != nil {
		return err
	}
	fd, err := retryEINTR(func() (int, error) {
		return unix.Openat(pfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o666)
	})
	if err != nil {
		return &os.PathError{Op: "create", Path: "/" + parent + "/" + tmp, Err: err}
	}
	f := os.NewFile(uintptr(fd), "/"+parent+"/"+tmp)
	_, werr := f.Write(data)
	if werr == nil && !mtime.IsZero() {
		ts := unix.NsecToTimespec(mtime.UnixNano())
		if err := unix.UtimesNanoAt(pfd, tmp, []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			werr = &os.PathError{Op: "utimensat", Path: "/" + parent + "/" + tmp, Err: err}
		}
	}
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		if err := unix.Renameat(pfd, tmp, pfd, base); err != nil {
			werr = &os.PathError{Op: "rename", Path: "/" + rel, Err: err}
		}
	}
	if werr != nil {
		unix.Unlinkat(pfd, tmp, 0)
		return werr
	}
	if err := unix.Fsync(pfd); err != nil {
		return &os.PathError{Op: "fsync", Path: "/" + parent, Err: err}
	}
	return nil
}

// openWrite opens regular file rel for writing, creating it (and its
// parents) when missing; an existing entry that is not a regular file is
// refused without being opened. Unless appending it is truncated.
func (r *rootDir) openWrite(rel string, appendTo bool) (*os.File, error) {
	parent, base := splitRel(rel)
	pfd, err := r.openDir(parent, unix.O_PATH, true)
	if err != nil {
		return nil, err
	}
	defer unix.Close(pfd)
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil && kindOfMode(st.Mode) != KindFile {
		return nil, notRegular(rel, kindOfMode(st.Mode))
	}
	fd, err := retryEINTR(func() (int, error) {
		return unix.Openat(pfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0o666)
	})
	if err != nil {
		if err == unix.ELOOP {
			return nil, anomaly("/"+rel, KindSymlink)
		}
		return nil, &os.PathError{Op: "open", Path: "/" + rel, Err: err}
	}
	if err := unix.Fstat(fd, &st); err != nil || kindOfMode(st.Mode) != KindFile {
		unix.Close(fd)
		if err != nil {
			return nil, &os.PathError{Op: "fstat", Path: "/" + rel, Err: err}
		}
		return nil, notRegular(rel, kindOfMode(st.Mode))
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "/"+rel)
	if !appendTo {
		err = f.Truncate(0)
	} else {
		_, err = f.Seek(0, 2)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// rename moves entry from to to (creating to's parents), following
// nothing: a symbolic link as the source is refused.
func (r *rootDir) rename(from, to string) error {
	fp, fb := splitRel(from)
	tp, tb := splitRel(to)
	fpfd, err := r.openDir(fp, unix.O_PATH, false)
	if err != nil {
		return err
	}
	defer unix.Close(fpfd)
	var st unix.Stat_t
	if err := unix.Fstatat(fpfd, fb, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "lstat", Path: "/" + from, Err: err}
	}
	if k := kindOfMode(st.Mode); k == KindSymlink || k == KindSpecial {
		return anomaly("/"+from, k)
	}
	tpfd, err := r.openDir(tp, unix.O_PATH, true)
	if err != nil {
		return err
	}
	defer unix.Close(tpfd)
	if err := unix.Renameat(fpfd, fb, tpfd, tb); err != nil {
		return &os.PathError{Op: "rename", Path: "/" + from, Err: err}
	}
	return nil
}
