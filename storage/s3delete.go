package storage

import (
	"context"
	"path"

	"github.com/docker/distribution/registry/storage/driver"
)

// prefixSafeDelete works around Delete in distribution v2.8.3's s3-aws
// driver. It lists the keys that start with the path, without a trailing
// slash, and stops at the first key that is not beneath the path. Keys sort
// "v1-rc/" and "v1.0/" before "v1/" ('-' and '.' sort before '/'), so
// deleting tag v1 next to a tag v1-rc or v1.0 (or repository app next to
// app-old) deletes nothing and reports success. After each Delete whose
// last path component could have such a sibling, this wrapper lists the
// path (List adds the slash, so it is exact) and deletes what is left,
// child by child.
type prefixSafeDelete struct {
	driver.StorageDriver
}

func (d prefixSafeDelete) Delete(ctx context.Context, p string) error {
	err := d.StorageDriver.Delete(ctx, p)
	if err != nil && !isNotFound(err) {
		return err
	}
	if !mayHaveLongerSibling(path.Base(p)) {
		return err
	}
	left, lerr := d.StorageDriver.List(ctx, p)
	if isNotFound(lerr) || (lerr == nil && len(left) == 0) {
		return err
	}
	if lerr != nil {
		return lerr
	}
	for _, child := range left {
		if cerr := d.Delete(ctx, child); cerr != nil && !isNotFound(cerr) {
			return cerr
		}
	}
	return nil
}

// mayHaveLongerSibling reports whether a sibling's name can extend name:
// not for digest hex (all 64 characters) nor for the fixed file names the
// registry writes.
func mayHaveLongerSibling(name string) bool {
	switch name {
	case LinkFile, DataFile, StartedAt:
		return false
	}
	if len(name) == 64 {
		if _, err := ParseHex(name); err == nil {
			return false
		}
	}
	return true
}
