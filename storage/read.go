package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
)

// Bounds of the reads regprune makes.
const (
	// LinkSize is the size of a link file: "sha256:" and 64 hex digits.
	LinkSize = len(digestPrefix) + hexLen
	// MaxManifestSize is the largest manifest the registry accepts
	// (distribution v3's maxManifestBodySize, registry/handlers/manifests.go):
	// a larger "manifest" is a bad one, and is not read.
	MaxManifestSize = 4 << 20
)

// FileReader is a driver that reads a regular file with a bound, never
// reading more than the bound and one byte: Open's filesystem and S3
// drivers do. Test wrappers of the driver forward it.
type FileReader interface {
	ReadFile(ctx context.Context, p string, limit int64) ([]byte, error)
}

// tooLarge is the error for a file of size bytes (or more) read with a
// bound of limit.
func tooLarge(size, limit int64) error {
	return fmt.Errorf("%w: %d bytes or more, the bound is %d", ErrTooLarge, size, limit)
}

// ReadFile reads file p whole, at most limit bytes. A missing file is
// ErrNotFound; a larger one ErrTooLarge (left unread); on a filesystem
// anything but a regular file is refused unopened (a directory with the
// os error, a symbolic link or special file with an *AnomalyError).
func (s *Storage) ReadFile(ctx context.Context, p string, limit int64) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var b []byte
	var err error
	if fr, ok := s.Driver.(FileReader); ok {
		b, err = fr.ReadFile(ctx, p, limit)
	} else {
		b, err = s.readByStat(ctx, p, limit)
	}
	if err != nil {
		return nil, wrapDriver(p, err)
	}
	return b, nil
}

// readByStat is ReadFile for a driver without FileReader: Stat for the
// size, then GetContent.
func (s *Storage) readByStat(ctx context.Context, p string, limit int64) ([]byte, error) {
	fi, err := s.Driver.Stat(ctx, p)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("is a directory")
	}
	if fi.Size() > limit {
		return nil, tooLarge(fi.Size(), limit)
	}
	b, err := s.Driver.GetContent(ctx, p)
	if err == nil && int64(len(b)) > limit {
		return nil, tooLarge(int64(len(b)), limit)
	}
	return b, err
}

// ReadLink reads a link file strictly: exactly "sha256:<64 hex>", and
// never more than LinkSize+1 bytes of it. A missing link is ErrNotFound;
// other content (a longer file included, which also wraps ErrTooLarge) is
// ErrBadLink; a link that is a symbolic link or special file is not read
// at all: an *AnomalyError (ErrAnomaly), not ErrBadLink.
func (s *Storage) ReadLink(ctx context.Context, p string) (Digest, error) {
	b, err := s.ReadFile(ctx, p, int64(LinkSize))
	if errors.Is(err, ErrTooLarge) {
		return Digest{}, fmt.Errorf("%w: %s: longer than %d bytes (%w)", ErrBadLink, p, LinkSize, ErrTooLarge)
	}
	if errors.Is(err, syscall.EISDIR) {
		// A directory where the link belongs: no link, as a malformed one.
		return Digest{}, fmt.Errorf("%w: %s: a directory, not a link file", ErrBadLink, p)
	}
	if err != nil {
		return Digest{}, err
	}
	return ParseLink(p, b)
}

// ParseLink parses the content of the link file at p. The error quotes
// (escaped, clipped) what it read.
func ParseLink(p string, b []byte) (Digest, error) {
	d, err := ParseDigest(string(b))
	switch {
	case err != nil && linkBeginning(b):
		return Digest{}, fmt.Errorf("%w (%w): %s: %w", ErrBadLink, ErrLinkIncomplete, p, err)
	case err != nil:
		return Digest{}, fmt.Errorf("%w: %s: %w", ErrBadLink, p, err)
	}
	return d, nil
}

// linkBeginning reports whether b is a strict beginning of a link:
// shorter than one, a beginning of "sha256:", then lower-case hex only.
func linkBeginning(b []byte) bool {
	if len(b) >= LinkSize {
		return false
	}
	if len(b) <= len(digestPrefix) {
		return strings.HasPrefix(digestPrefix, string(b))
	}
	return strings.HasPrefix(string(b), digestPrefix) && strings.Trim(string(b[len(digestPrefix):]), "0123456789abcdef") == ""
}

// ReadManifest reads the blob of manifest d, at most MaxManifestSize
// bytes: a larger blob is ErrBadManifest (and ErrTooLarge), unread.
func (s *Storage) ReadManifest(ctx context.Context, d Digest) ([]byte, error) {
	b, err := s.ReadFile(ctx, BlobDataPath(d), MaxManifestSize)
	if errors.Is(err, ErrTooLarge) {
		return nil, fmt.Errorf("%w: %w", ErrBadManifest, err)
	}
	return b, err
}

// ReadBlob reads a manifest's blob: ReadManifest.
func (s *Storage) ReadBlob(ctx context.Context, d Digest) ([]byte, error) {
	return s.ReadManifest(ctx, d)
}
