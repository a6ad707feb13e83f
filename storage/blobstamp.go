package storage

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// BlobStamp identifies one version of a blob's data: its size and, on
// object storage with bulk access, its ETag (which the listing of the
// blob store gives for free), elsewhere its modification time. A blob
// whose stamp is unchanged holds what it held when the stamp was taken:
// regprune's manifest reference cache trusts what it read of a manifest
// only while the blob's stamp is the one it read it with.
type BlobStamp struct {
	Size int64
	// Version is "e" and the ETag (quotes removed) on object storage,
	// "t" and the modification time in Unix nanoseconds elsewhere; ""
	// when unknown (a stamp with no version matches nothing).
	Version string
}

// Matches reports whether b and c are known and the same.
func (b BlobStamp) Matches(c BlobStamp) bool {
	return b.Version != "" && b == c
}

// etagStamp is the stamp of an object listed or read with ETag etag.
func etagStamp(size int64, etag string) BlobStamp {
	etag = strings.Trim(etag, `"`)
	if etag == "" {
		return BlobStamp{Size: size}
	}
	return BlobStamp{Size: size, Version: "e" + etag}
}

// StampsListed reports whether ListBlobs gives the stamps of the blobs
// it lists (object storage with bulk access): then a cache checks its
// entries against the listing, without a request per blob.
func (s *Storage) StampsListed() bool { return s.objects != nil }

// StatBlob returns the stamp of blob d's data; a missing blob wraps
// ErrNotFound, a directory where its data should be is an error.
func (s *Storage) StatBlob(ctx context.Context, d Digest) (BlobStamp, error) {
	if s.objects != nil {
		return s.objects.statStamp(ctx, BlobDataPath(d))
	}
	fi, err := s.Stat(ctx, BlobDataPath(d))
	if err != nil {
		return BlobStamp{}, err
	}
	if fi.IsDir() {
		return BlobStamp{}, fmt.Errorf("%s: %w: a directory", BlobDataPath(d), ErrBadManifest)
	}
	return BlobStamp{Size: fi.Size(), Version: "t" + strconv.FormatInt(fi.ModTime().UnixNano(), 10)}, nil
}

// ReadManifestStamped is ReadManifest with the stamp of what it read: on
// object storage the ETag of the response that carried the bytes,
// elsewhere the stamp taken just before reading (a blob replaced in
// between then has a newer stamp than the one returned, never an older).
func (s *Storage) ReadManifestStamped(ctx context.Context, d Digest) ([]byte, BlobStamp, error) {
	if s.objects != nil {
		p := BlobDataPath(d)
		b, etag, err := s.objects.readTagged(ctx, p, MaxManifestSize)
		switch {
		case errors.Is(err, ErrTooLarge):
			return nil, BlobStamp{}, fmt.Errorf("%w: %w", ErrBadManifest, wrapDriver(p, err))
		case err != nil:
			return nil, BlobStamp{}, wrapDriver(p, err)
		}
		return b, etagStamp(int64(len(b)), etag), nil
	}
	st, err := s.StatBlob(ctx, d)
	if err != nil {
		return nil, BlobStamp{}, err
	}
	b, err := s.ReadManifest(ctx, d)
	if err != nil {
		return nil, BlobStamp{}, err
	}
	if int64(len(b)) != st.Size {
		st = BlobStamp{Size: int64(len(b))} // changed while read: nothing to vouch for it
	}
	return b, st, nil
}

// MD5ETag returns an ETag of the form S3 gives an object written in one
// PUT without KMS (32 lower-case hex digits, quotes removed) as its 16
// bytes, which hex.EncodeToString gives back exactly; ok is false for any
// other form, which a caller keeps as text.
func MD5ETag(etag string) (b [16]byte, ok bool) {
	if len(etag) != 2*len(b) || strings.Trim(etag, "0123456789abcdef") != "" {
		return b, false
	}
	_, err := hex.Decode(b[:], []byte(etag))
	return b, err == nil
}
