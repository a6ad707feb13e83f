package storage

import (
	"context"
	"fmt"
	"time"
)

// TimedPutter is a driver that writes a file carrying a given
// modification time (Open's filesystem driver: the time is set on the new
// file before it takes the path's place). Test wrappers of the driver
// forward it. Object storage cannot set a time: an object's is its PUT's.
type TimedPutter interface {
	PutContentTimed(ctx context.Context, p string, content []byte, mtime time.Time) error
}

// CanKeepTimes reports whether WriteTag can give a tag its push time back
// (true on a filesystem, false on object storage).
func (s *Storage) CanKeepTimes() bool {
	_, ok := s.Driver.(TimedPutter)
	return ok
}

// WriteTag puts tag of repo back, pointing at d: an index/ entry for each
// digest of history and for d, then the current link, last (each file
// written atomically; the tag exists once its current link does). Where
// the driver can (CanKeepTimes), the current link carries modification
// time pushed, the tag's push time; timeKept says whether it does. A
// symbolic link on the way is refused (the confined driver's
// *AnomalyError); nothing is written outside the tag's directory.
func (s *Storage) WriteTag(ctx context.Context, repo, tag string, d Digest, pushed time.Time, history []Digest) (timeKept bool, err error) {
	if err := ValidRepository(repo); err != nil {
		return false, err
	}
	if err := ValidTag(tag); err != nil {
		return false, err
	}
	if d.IsZero() {
		return false, fmt.Errorf("write tag %s:%s: %w: no digest", repo, tag, ErrBadDigest)
	}
	if err := s.WriteTagHistory(ctx, repo, tag, append([]Digest{d}, history...)); err != nil {
		return false, err
	}
	p := TagCurrentLinkPath(repo, tag)
	_, timed := s.Driver.(TimedPutter)
	if pushed.IsZero() {
		timed = false
	}
	mtime := time.Time{}
	if timed {
		mtime = pushed
	}
	if err := s.put(ctx, p, []byte(d.String()), mtime); err != nil {
		return false, fmt.Errorf("write tag %s:%s: %w", repo, tag, err)
	}
	return timed, nil
}

// WriteTagHistory writes an index/ entry of tag of repo for each digest
// of history (the tag's current link is left as it is).
func (s *Storage) WriteTagHistory(ctx context.Context, repo, tag string, history []Digest) error {
	if err := ValidRepository(repo); err != nil {
		return err
	}
	if err := ValidTag(tag); err != nil {
		return err
	}
	seen := map[Digest]bool{}
	for _, h := range history {
		if seen[h] || h.IsZero() {
			continue
		}
		seen[h] = true
		if err := s.put(ctx, TagIndexLinkPath(repo, tag, h), []byte(h.String()), time.Time{}); err != nil {
			return fmt.Errorf("write tag %s:%s: %w", repo, tag, err)
		}
	}
	return nil
}

// put writes p, with modification time mtime when it is not zero (the
// driver must then be a TimedPutter).
func (s *Storage) put(ctx context.Context, p string, data []byte, mtime time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var err error
	if tp, ok := s.Driver.(TimedPutter); ok && !mtime.IsZero() {
		err = tp.PutContentTimed(ctx, p, data, mtime)
	} else {
		err = s.Driver.PutContent(ctx, p, data)
	}
	if err != nil {
		return wrapDriver(p, err)
	}
	return nil
}
