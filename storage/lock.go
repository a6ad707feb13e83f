package storage

import (
	"context"
	"time"
)

// Lock is regprune's exclusive lock on a storage. On the filesystem driver
// it is a kernel file lock (flock) on docker/registry/v2/.regprune.lock: a
// killed process releases it with its file descriptors, so a crash never
// leaves the storage locked. The file is opened below the root without
// following a symbolic link, must be a regular file, and is created with
// mode 0644 (see lock_file_linux.go). On other drivers (S3, ...) it is a lock object
// at the same path (see lock_object.go).
type Lock struct {
	Path string
	fd   int // the flocked lock file, when obj is nil
	obj  *objectLock
}

// Lock takes the exclusive lock. With wait 0 it fails at once when another
// process holds it; otherwise it retries until wait has passed. A held lock
// is ErrLocked, naming the lock file.
func (s *Storage) Lock(ctx context.Context, wait time.Duration) (*Lock, error) {
	return s.LockWith(ctx, LockOptions{Wait: wait})
}

// LockWith takes the exclusive lock as opts says: flock for the
// filesystem driver, the lock object for every other driver.
func (s *Storage) LockWith(ctx context.Context, opts LockOptions) (*Lock, error) {
	if s.local == nil {
		return s.lockObject(ctx, opts)
	}
	return s.lockFile(ctx, opts)
}

// Unlock releases the lock. The lock file stays: removing it would let two
// processes lock different files of the same name. A lock object stops
// being refreshed and is removed.
func (l *Lock) Unlock() error {
	if l == nil {
		return nil
	}
	if l.obj != nil {
		return l.obj.release()
	}
	return l.unlockFile()
}
