package scan

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"sort"

	"github.com/regprune/regprune/internal/progress"
	"github.com/regprune/regprune/storage"
	"golang.org/x/sync/errgroup"
)

// verifyDigests streams every reached blob whose data exists through
// sha256, at most jobs at a time, and reports those whose content does
// not match their name. Memory stays one buffer per job.
func (c *checker) verifyDigests(ctx context.Context) error {
	ds := make([]storage.Digest, 0, len(c.refs))
	var total int64
	for d, ref := range c.refs {
		if ref.present {
			ds = append(ds, d)
			total += ref.size
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].Compare(ds[j]) < 0 })
	bar := c.bar("verifying digests", total, progress.Bytes, "")
	defer bar.Done()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.jobs)
	for _, d := range ds {
		g.Go(func() error { return c.verifyBlob(gctx, d, bar) })
	}
	return g.Wait()
}

func (c *checker) verifyBlob(ctx context.Context, d storage.Digest, bar *progress.Bar) error {
	got, n, err := c.hashBlob(ctx, d, bar)
	if gone, fatal := missing(err); fatal != nil {
		return fatal
	} else if gone {
		return nil // deleted since it was reached: reported as missing, or a race
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ref := c.refs[d]
	c.result.Verified++
	c.result.VerifiedBytes += n
	var detail string
	switch {
	case err != nil:
		detail = "blob data unreadable: " + err.Error()
	case got != d:
		detail = fmt.Sprintf("blob data (%d bytes) hashes to %s: corrupt", n, got)
	default:
		return nil
	}
	if ref.repos > 1 {
		detail += fmt.Sprintf("; also referenced by %d other repositories", ref.repos-1)
	}
	c.result.Problems = append(c.result.Problems, Problem{
		Repository: ref.repo, Tag: ref.tag, Digest: d, Kind: DigestMismatch, Detail: detail,
	})
	return nil
}

// hashBlob streams the blob's data through the driver's Reader.
func (c *checker) hashBlob(ctx context.Context, d storage.Digest, bar *progress.Bar) (sum storage.Digest, n int64, err error) {
	err = c.io(ctx, func() error {
		rc, err := c.st.OpenBlob(ctx, d)
		if err != nil {
			return err
		}
		defer rc.Close()
		h := sha256.New()
		n, err = io.Copy(io.MultiWriter(h, bar.Writer()), rc)
		if err != nil {
			return fmt.Errorf("%s: %w", storage.BlobDataPath(d), err)
		}
		copy(sum[:], h.Sum(nil))
		return nil
	})
	return sum, n, err
}
