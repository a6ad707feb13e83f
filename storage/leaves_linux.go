//go:build linux

package storage

import (
	"context"
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// parentDir is a worker's open directory: the parent of its current leaf.
type parentDir struct {
	r   *rootDir
	rel string
	fd  int
}

// open returns the directory of relative path rel, opened once for as
// long as the leaves stay in it; ENOENT when it does not exist.
func (d *parentDir) open(rel string) (int, error) {
	if d.fd >= 0 && d.rel == rel {
		return d.fd, nil
	}
	d.close()
	fd, err := d.r.open(rel, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return -1, err
	}
	d.rel, d.fd = rel, fd
	return fd, nil
}

func (d *parentDir) close() {
	if d.fd >= 0 {
		unix.Close(d.fd)
		d.fd = -1
	}
}

// inRanges runs f on jobs workers, worker w over leaves [lo, hi).
func inRanges(ctx context.Context, l *local, n, jobs int, f func(ctx context.Context, d *parentDir, lo, hi int) error) error {
	if jobs < 1 {
		jobs = DefaultJobs
	}
	jobs = min(jobs, max(n, 1))
	return Each(ctx, jobs, jobs, func(ctx context.Context, w int) error {
		d := &parentDir{r: l.root, fd: -1}
		defer d.close()
		return f(ctx, d, w*n/jobs, (w+1)*n/jobs)
	})
}

// leafRel splits leaf l into the relative path of its parent directory,
// its directory's name and driver path, or fails for a path regprune
// never builds.
func (l *local) leafRel(lf Leaf) (parent, base string, err error) {
	rel, err := l.rel(lf.Dir)
	if err != nil {
		return "", "", err
	}
	if rel == "" || !ValidComponent(lf.File) {
		return "", "", &os.PathError{Op: "leaf", Path: lf.Dir + "/" + lf.File, Err: unix.EINVAL}
	}
	parent, base = splitRel(rel)
	return parent, base, nil
}

// deleteLeaves (leafBatch) is DeleteLeaves: each leaf as deleteLeafAt.
func (l *local) deleteLeaves(ctx context.Context, n, jobs int, leaf func(int) Leaf, done func(int)) error {
	return inRanges(ctx, l, n, jobs, func(ctx context.Context, d *parentDir, lo, hi int) error {
		for i := lo; i < hi; i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			lf := leaf(i)
			parent, base, err := l.leafRel(lf)
			if err != nil {
				return err
			}
			pfd, err := d.open(parent)
			if err == nil {
				err = deleteLeafAt(pfd, base, lf.File, lf.Dir)
			}
			if err != nil && !errors.Is(err, unix.ENOENT) {
				return err
			}
			done(i)
		}
		return nil
	})
}

// statLeaves (leafBatch) is StatLeaves: the leaf's file, else its
// directory, as Stat answers them.
func (l *local) statLeaves(ctx context.Context, n, jobs int, leaf func(int) Leaf) ([]LeafInfo, error) {
	out := make([]LeafInfo, n)
	err := inRanges(ctx, l, n, jobs, func(ctx context.Context, d *parentDir, lo, hi int) error {
		for i := lo; i < hi; i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			lf := leaf(i)
			parent, base, err := l.leafRel(lf)
			if err != nil {
				return err
			}
			pfd, err := d.open(parent)
			if err == nil {
				err = statLeafAt(pfd, base, lf.File, lf.Dir, &out[i])
			}
			if err != nil && !errors.Is(err, unix.ENOENT) {
				return err
			}
		}
		return nil
	})
	return out, err
}

// statLeafAt stats leaf directory name of pfd (driver path p) and its
// file into info, following nothing; a missing directory leaves info
// zero.
func statLeafAt(pfd int, name, file, p string, info *LeafInfo) error {
	dfd, err := openAt(pfd, name, unix.O_PATH|unix.O_DIRECTORY, p)
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	var st unix.Stat_t
	err = unix.Fstatat(dfd, file, &st, unix.AT_SYMLINK_NOFOLLOW)
	noFile := err == unix.ENOENT
	if noFile {
		err = unix.Fstat(dfd, &st) // the directory, without its file
	}
	if err != nil {
		return &os.PathError{Op: "stat", Path: p + "/" + file, Err: err}
	}
	switch k := kindOfMode(st.Mode); k {
	case KindDir:
		*info = LeafInfo{Exists: true, ModTime: timeOf(st.Mtim), NoFile: noFile}
	case KindFile:
		*info = LeafInfo{Exists: true, Size: st.Size, ModTime: timeOf(st.Mtim)}
	default:
		return anomaly(p+"/"+file, k)
	}
	return nil
}
