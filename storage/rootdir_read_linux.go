//go:build linux

package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// openRegular opens regular file rel for reading and returns its size.
// Anything else is refused without being opened for reading: a named pipe
// would block, a device could be endless or act on being opened. A stat
// comes first for that; the open (O_NONBLOCK, O_NOFOLLOW) and its fstat
// are the authoritative check.
func (r *rootDir) openRegular(rel string) (fd int, size int64, err error) {
	var st unix.Stat_t
	if err := unix.Fstatat(r.fd, rel, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil || kindOfMode(st.Mode) != KindFile {
		// Confirm by a stat that follows nothing (the one above follows
		// links on the way): only its answer counts.
		if err := r.lstat(rel, &st); err != nil {
			return -1, 0, err
		}
		if k := kindOfMode(st.Mode); k != KindFile {
			return -1, 0, notRegular(rel, k)
		}
	}
	fd, err = r.open(rel, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		return -1, 0, err
	}
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, 0, &os.PathError{Op: "fstat", Path: "/" + rel, Err: err}
	}
	if k := kindOfMode(st.Mode); k != KindFile {
		unix.Close(fd)
		return -1, 0, notRegular(rel, k)
	}
	return fd, st.Size, nil
}

// notRegular is the error for rel of kind k where a regular file was
// expected.
func notRegular(rel string, k Kind) error {
	if k == KindDir {
		return &os.PathError{Op: "read", Path: "/" + rel, Err: unix.EISDIR}
	}
	return anomaly("/"+rel, k)
}

// readFile reads regular file rel whole, at most limit bytes: a larger
// file is ErrTooLarge and left unread.
func (r *rootDir) readFile(rel string, limit int64) ([]byte, error) {
	limit = min(max(limit, 0), 1<<40) // limit+1 never overflows
	fd, size, err := r.openRegular(rel)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	if size > limit {
		return nil, tooLarge(size, limit)
	}
	buf := make([]byte, 0, size+1) // one more byte sees a file grown since the fstat
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return nil, tooLarge(int64(len(buf)), limit)
			}
			grown := make([]byte, len(buf), min(int64(2*cap(buf)+512), limit+1))
			copy(grown, buf)
			buf = grown
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: "/" + rel, Err: err}
		}
		if n == 0 {
			break
		}
		buf = buf[:len(buf)+n]
	}
	if int64(len(buf)) > limit {
		return nil, tooLarge(int64(len(buf)), limit)
	}
	return buf, nil
}

// direntBufs are getdents buffers: 32 KiB lists about a thousand entries
// a call.
var direntBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// readEntries lists directory rel with the kind of every entry, from the
// directory entries' own type (d_type), with an lstat (fstatat relative
// to the directory) only where the filesystem does not record it.
func (r *rootDir) readEntries(rel string) ([]Entry, error) {
	fd, err := r.open(rel, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	es, err := readDirFd(fd, nil)
	if err != nil {
		return nil, &os.PathError{Op: "getdents", Path: "/" + rel, Err: err}
	}
	return es, nil
}

// readDirFd appends the entries of open directory fd to es.
func readDirFd(fd int, es []Entry) ([]Entry, error) {
	bp := direntBufs.Get().(*[]byte)
	defer direntBufs.Put(bp)
	buf := *bp
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return es, nil
		}
		if es, err = parseDirents(fd, buf[:n], es); err != nil {
			return nil, err
		}
	}
}

// The head of struct linux_dirent64: d_ino (8 bytes), d_off (8),
// d_reclen (2), d_type (1), then the NUL-terminated name.
const (
	direntReclenOff = 16
	direntTypeOff   = 18
	direntNameOff   = 19
)

// parseDirents appends the entries of one getdents buffer to es ("." and
// ".." left out); an entry of unknown type is looked up in directory fd.
func parseDirents(fd int, b []byte, es []Entry) ([]Entry, error) {
	for len(b) > 0 {
		if len(b) < direntNameOff {
			return es, fmt.Errorf("getdents: %d bytes left, less than a record", len(b))
		}
		ino := binary.NativeEndian.Uint64(b)
		rl := int(binary.NativeEndian.Uint16(b[direntReclenOff:]))
		if rl < direntNameOff || rl > len(b) {
			return es, fmt.Errorf("getdents: bad record length %d", rl)
		}
		typ, name := b[direntTypeOff], b[direntNameOff:rl]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		b = b[rl:]
		if ino == 0 || len(name) == 0 || string(name) == "." || string(name) == ".." || bytes.IndexByte(name, '/') >= 0 {
			continue
		}
		e := Entry{Name: string(name), Kind: kindOfDirent(typ)}
		if e.Kind == KindUnknown {
			var st unix.Stat_t
			if err := unix.Fstatat(fd, e.Name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				if err == unix.ENOENT {
					continue // removed meanwhile
				}
				return es, err
			}
			e.Kind = kindOfMode(st.Mode)
		}
		es = append(es, e)
	}
	return es, nil
}

// kindOfDirent is the Kind of a d_type; KindUnknown for DT_UNKNOWN.
func kindOfDirent(t uint8) Kind {
	switch t {
	case unix.DT_DIR:
		return KindDir
	case unix.DT_REG:
		return KindFile
	case unix.DT_LNK:
		return KindSymlink
	case unix.DT_UNKNOWN:
		return KindUnknown
	}
	return KindSpecial
}
