package storage

import (
	"context"
	"io"
)

// OpenBlob opens blob d's data for streaming (digest verification); a
// missing blob is ErrNotFound. The caller closes it.
func (s *Storage) OpenBlob(ctx context.Context, d Digest) (io.ReadCloser, error) {
	rc, err := s.Driver.Reader(ctx, BlobDataPath(d), 0)
	if err != nil {
		return nil, wrapDriver(BlobDataPath(d), err)
	}
	return rc, nil
}
