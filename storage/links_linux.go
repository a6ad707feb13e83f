//go:build linux

package storage

import (
	"context"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// listLinks (linkLister) is ListLinks: one read of directory dir (the
// entries' d_type), then, for each leaf directory, one openat2 of
// "<hex>/link" relative to dir (O_PATH, no symbolic link resolved on any
// component: as cheap as a stat of that path, which would follow a leaf
// swapped for a symbolic link meanwhile) and an fstat of what it opened;
// without openat2, or when it meets what the registry never writes, an
// open of the leaf (O_PATH, following nothing) and a stat of its link
// relative to that.
func (l *local) listLinks(ctx context.Context, dir string) (Links, error) {
	rel, err := l.rel(dir)
	if err != nil {
		return Links{}, err
	}
	fd, err := l.root.open(rel, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return Links{}, l.fail(dir, err)
	}
	defer unix.Close(fd)
	es, err := readDirFd(fd, nil)
	if err != nil {
		return Links{}, &os.PathError{Op: "getdents", Path: dir, Err: err}
	}
	var out Links
	for i, e := range es {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return Links{}, err
			}
		}
		d, err := leafDigest(dir, e.Name)
		if err != nil {
			return Links{}, err
		}
		if e.Kind == KindDir && l.root.openat2 {
			if done, err := linkAt2(fd, e.Name, dir+"/"+e.Name, d, &out); done || err != nil {
				if err != nil {
					return Links{}, err
				}
				continue
			}
		}
		if err := linkAt(fd, e, dir+"/"+e.Name, d, &out); err != nil {
			return Links{}, err
		}
	}
	return out, nil
}

// linkAt2 sorts leaf directory name of open directory fd (driver path p,
// digest d) into out with one openat2 of its link; false when the answer
// needs linkAt (a symbolic link or a file on the way).
func linkAt2(fd int, name, p string, d Digest, out *Links) (bool, error) {
	how := &unix.OpenHow{Flags: unix.O_PATH | unix.O_NOFOLLOW | unix.O_CLOEXEC, Resolve: resolveBeneath}
	for {
		lfd, err := unix.Openat2(fd, name+"/"+LinkFile, how)
		switch err {
		case unix.EINTR, unix.EAGAIN:
			continue
		case unix.ENOENT:
			out.Debris = append(out.Debris, d) // or removed meanwhile: deleting it again is safe
			return true, nil
		case unix.ELOOP, unix.EXDEV, unix.ENOTDIR:
			return false, nil
		case nil:
		default:
			return false, &os.PathError{Op: "open", Path: p + "/" + LinkFile, Err: err}
		}
		var st unix.Stat_t
		err = unix.Fstat(lfd, &st)
		unix.Close(lfd)
		if err != nil {
			return false, &os.PathError{Op: "fstat", Path: p + "/" + LinkFile, Err: err}
		}
		switch k := kindOfMode(st.Mode); k {
		case KindDir, KindFile:
			out.add(d, p+"/"+LinkFile, k == KindDir, st.Size)
		default:
			out.Malformed = append(out.Malformed, BadLink{d, anomaly(p+"/"+LinkFile, k)})
		}
		return true, nil
	}
}

// linkAt sorts leaf e of open directory fd (driver path p, digest d) into
// out.
func linkAt(fd int, e Entry, p string, d Digest, out *Links) error {
	switch e.Kind {
	case KindDir:
	case KindFile:
		out.Malformed = append(out.Malformed, BadLink{d, fmt.Errorf("%s: %w: a file where a directory should be", p, ErrBadLink)})
		return nil
	default:
		out.Malformed = append(out.Malformed, BadLink{d, anomaly(p, e.Kind)})
		return nil
	}
	dfd, err := openAt(fd, e.Name, unix.O_PATH|unix.O_DIRECTORY, p)
	var ae *AnomalyError
	switch {
	case errors.As(err, &ae):
		out.Malformed = append(out.Malformed, BadLink{d, err}) // swapped meanwhile
		return nil
	case errors.Is(err, unix.ENOENT):
		return nil // removed meanwhile
	case errors.Is(err, unix.ENOTDIR):
		out.Malformed = append(out.Malformed, BadLink{d, fmt.Errorf("%s: %w: a file where a directory should be", p, ErrBadLink)})
		return nil
	case err != nil:
		return err
	}
	var st unix.Stat_t
	err = unix.Fstatat(dfd, LinkFile, &st, unix.AT_SYMLINK_NOFOLLOW)
	unix.Close(dfd)
	lp := p + "/" + LinkFile
	switch {
	case err == unix.ENOENT:
		out.Debris = append(out.Debris, d)
		return nil
	case err != nil:
		return &os.PathError{Op: "stat", Path: lp, Err: err}
	}
	switch k := kindOfMode(st.Mode); k {
	case KindDir, KindFile:
		out.add(d, lp, k == KindDir, st.Size)
	default:
		out.Malformed = append(out.Malformed, BadLink{d, anomaly(lp, k)})
	}
	return nil
}
