package pulls

import "errors"

// The sentinel errors of this package. They belong with regprune's others
// in storage/errors.go; until that file has them, they live here.
var (
	// ErrBadLog: a log that cannot be read: its reader failed, or its
	// compression is broken (a truncated gzip) or not supported (zstd, xz).
	ErrBadLog = errors.New("unreadable log")
	// ErrBadHistory: a pull history that cannot be read: corrupt,
	// truncated, of another version, or larger than the limit. A history
	// that cannot be read is an error, never "nothing was pulled".
	ErrBadHistory = errors.New("bad pull history")
)
