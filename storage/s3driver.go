package storage

import (
	"context"
	"io"
	"path"

	"github.com/docker/distribution/registry/storage/driver"
)

// s3Driver confines distribution's s3 driver (v2.8.3's s3-aws) to the root
// prefix, and mends what reaches beyond it:
//
//   - every path is checked first (safeDriverPath): the AWS SDK cleans
//     "." and ".." out of request URLs, so "/a/../../b" would reach a key
//     outside the root;
//   - Stat lists the path as a prefix without a slash and takes any key
//     beginning with it for a directory: "tags/v1" exists when only
//     "tags/v1-rc/..." does. Here a path is a file when its key exists and
//     a directory when its key followed by "/" begins some key;
//   - Delete lists the path without a trailing slash and stops at the
//     first key not beneath it (see Delete below);
//   - ListEntries and ReadFile list with a delimiter (kinds) and read
//     with a range (bounded).
//
// objects is nil when the bucket is reached through the driver alone
// (signature version 2): then the driver's own calls serve, with the same
// checks.
type s3Driver struct {
	driver.StorageDriver
	objects *objects
}

func (d *s3Driver) invalid(p string) error {
	return driver.InvalidPathError{Path: p, DriverName: d.Name()}
}

func (d *s3Driver) GetContent(ctx context.Context, p string) ([]byte, error) {
	if !safeDriverPath(p) {
		return nil, d.invalid(p)
	}
	return d.StorageDriver.GetContent(ctx, p)
}

func (d *s3Driver) PutContent(ctx context.Context, p string, content []byte) error {
	if !safeDriverPath(p) {
		return d.invalid(p)
	}
	return d.StorageDriver.PutContent(ctx, p, content)
}

func (d *s3Driver) Reader(ctx context.Context, p string, offset int64) (io.ReadCloser, error) {
	if !safeDriverPath(p) {
		return nil, d.invalid(p)
	}
	return d.StorageDriver.Reader(ctx, p, offset)
}

func (d *s3Driver) Writer(ctx context.Context, p string, appendTo bool) (driver.FileWriter, error) {
	if !safeDriverPath(p) {
		return nil, d.invalid(p)
	}
	return d.StorageDriver.Writer(ctx, p, appendTo)
}

// List lists p as ListEntries does (with bulk access: a delimiter, and
// keys url-encoded, so that a key holding a byte XML cannot carry does not
// make the listing fail).
func (d *s3Driver) List(ctx context.Context, p string) ([]string, error) {
	if p != "/" && !safeDriverPath(p) {
		return nil, d.invalid(p)
	}
	if d.objects == nil {
		return d.StorageDriver.List(ctx, p)
	}
	es, err := d.objects.listDir(ctx, p)
	if err != nil {
		return nil, err
	}
	prefix := p + "/"
	if p == "/" {
		prefix = "/"
	}
	out := make([]string, 0, len(es))
	seen := make(map[string]bool, len(es))
	for _, e := range es {
		if !seen[e.Name] { // a name both object and prefix is listed once, as the driver does not
			seen[e.Name] = true
			out = append(out, prefix+e.Name)
		}
	}
	return out, nil
}

func (d *s3Driver) Move(ctx context.Context, from, to string) error {
	if !safeDriverPath(from) {
		return d.invalid(from)
	}
	if !safeDriverPath(to) {
		return d.invalid(to)
	}
	return d.StorageDriver.Move(ctx, from, to)
}

func (d *s3Driver) URLFor(ctx context.Context, p string, options map[string]interface{}) (string, error) {
	if !safeDriverPath(p) {
		return "", d.invalid(p)
	}
	return d.StorageDriver.URLFor(ctx, p, options)
}

func (d *s3Driver) Walk(ctx context.Context, p string, f driver.WalkFn) error {
	if p != "/" && !safeDriverPath(p) {
		return d.invalid(p)
	}
	return driver.WalkFallback(ctx, d, p, f)
}

// Stat is exact: p is a file when its key exists, else a directory when
// some key lies beneath it, else not found.
func (d *s3Driver) Stat(ctx context.Context, p string) (driver.FileInfo, error) {
	if !safeDriverPath(p) {
		return nil, d.invalid(p)
	}
	if d.objects != nil {
		return d.objects.stat(ctx, p)
	}
	fi, err := d.StorageDriver.Stat(ctx, p)
	if err != nil || !fi.IsDir() {
		return fi, err
	}
	if _, err := d.StorageDriver.List(ctx, p); err != nil { // List adds the slash
		return nil, err
	}
	return fi, nil
}

// ListEntries (EntryLister) lists p with a delimiter: keys are files,
// common prefixes directories. Names are the keys' own bytes, odd ones
// included (Entry.Addressable tells).
func (d *s3Driver) ListEntries(ctx context.Context, p string) ([]Entry, error) {
	if p != "/" && !safeDriverPath(p) {
		return nil, d.invalid(p)
	}
	if d.objects == nil {
		st := &Storage{Driver: d.StorageDriver}
		return st.listEntriesByStat(ctx, p)
	}
	return d.objects.listDir(ctx, p)
}

// ReadFile (FileReader) reads object p, at most limit bytes: a larger
// object is ErrTooLarge, and only limit+1 bytes of it are fetched.
func (d *s3Driver) ReadFile(ctx context.Context, p string, limit int64) ([]byte, error) {
	if !safeDriverPath(p) {
		return nil, d.invalid(p)
	}
	if d.objects != nil {
		return d.objects.readLimited(ctx, p, limit)
	}
	fi, err := d.Stat(ctx, p)
	if err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		return nil, tooLarge(fi.Size(), limit)
	}
	b, err := d.StorageDriver.GetContent(ctx, p)
	if err == nil && int64(len(b)) > limit {
		return nil, tooLarge(int64(len(b)), limit)
	}
	return b, err
}

// Delete deletes p and everything beneath it, listed with a trailing
// slash (see objects.deleteTree: a key no driver path can name refuses
// the delete).
//
// Without bulk access it works around Delete in distribution v2.8.3's
// s3-aws driver, which lists the keys that start with the path, without a
// trailing slash, and stops at the first key that is not beneath the
// path. Keys sort "v1-rc/" and "v1.0/" before "v1/" ('-' and '.' sort
// before '/'), so deleting tag v1 next to a tag v1-rc or v1.0 (or
// repository app next to app-old) deletes nothing and reports success.
// After each Delete whose last path component could have such a sibling,
// the path is listed (List adds the slash, so it is exact) and what is
// left deleted, child by child.
func (d *s3Driver) Delete(ctx context.Context, p string) error {
	if !safeDriverPath(p) {
		return d.invalid(p)
	}
	if d.objects != nil {
		return d.objects.deleteTree(ctx, p)
	}
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
		if !safeDriverPath(child) {
			return anomaly(child, KindUnknown) // a key with "//" or "..": left alone
		}
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
