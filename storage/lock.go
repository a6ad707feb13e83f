package storage

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// Lock is regprune's exclusive lock on a storage. On the filesystem driver
// it is a kernel file lock (flock) on docker/registry/v2/.regprune.lock: a
// killed process releases it with its file descriptors, so a crash never
// leaves the storage locked. On other drivers (S3, ...) it is a lock object
// at the same path (see lock_object.go).
type Lock struct {
	Path string
	fl   *flock.Flock
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
	if s.LocalRoot == "" {
		return s.lockObject(ctx, opts)
	}
	return s.lockFile(ctx, opts.Wait)
}

func (s *Storage) lockFile(ctx context.Context, wait time.Duration) (*Lock, error) {
	p := filepath.Join(s.LocalRoot, filepath.FromSlash(LockPath()))
	fl := flock.New(p)
	deadline := time.Now().Add(wait)
	for {
		ok, err := fl.TryLock()
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", p, err)
		}
		if ok {
			return &Lock{Path: p, fl: fl}, nil
		}
		if time.Now().After(deadline) {
			if wait > 0 {
				return nil, fmt.Errorf("%w: %s (waited %s)", ErrLocked, p, wait)
			}
			return nil, fmt.Errorf("%w: %s (use --lock-timeout to wait)", ErrLocked, p)
		}
		select {
		case <-ctx.Done():
			return nil, errors.Join(fmt.Errorf("%w: %s", ErrLocked, p), ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
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
	return l.fl.Unlock()
}
