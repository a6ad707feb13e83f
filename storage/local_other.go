//go:build !linux

package storage

import (
	"context"
	"errors"

	"github.com/docker/distribution/registry/storage/driver"
)

// errNotLinux: the confined filesystem access (openat2, openat with
// O_NOFOLLOW, getdents) is written for Linux, where registries run.
var errNotLinux = errors.New("regprune reads a registry's filesystem storage on Linux only")

// local is not available here: Open refuses the filesystem driver.
type local struct {
	driver.StorageDriver
	root *rootDir
}

type rootDir struct{}

func newLocal(string) (*local, error) { return nil, errNotLinux }

func (s *Storage) lockFile(context.Context, LockOptions) (*Lock, error) { return nil, errNotLinux }

func (l *Lock) unlockFile() error { return nil }
