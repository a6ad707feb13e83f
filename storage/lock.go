package storage

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// Lock is regprune's exclusive lock on a storage. It is a kernel file lock
// (flock) on docker/registry/v2/.regprune.lock: a killed process releases it
// with its file descriptors, so a crash never leaves the storage locked.
type Lock struct {
	Path string
	fl   *flock.Flock
}

// Lock takes the exclusive lock. With wait 0 it fails at once when another
// process holds it; otherwise it retries until wait has passed. A held lock
// is ErrLocked, naming the lock file.
func (s *Storage) Lock(ctx context.Context, wait time.Duration) (*Lock, error) {
	if s.LocalRoot == "" {
		return nil, fmt.Errorf("locking the %s driver is not supported yet: only filesystem storage can be changed", s.Type)
	}
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
// processes lock different files of the same name.
func (l *Lock) Unlock() error {
	if l == nil {
		return nil
	}
	return l.fl.Unlock()
}
