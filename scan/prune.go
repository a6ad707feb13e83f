package scan

import (
	"context"
	"fmt"

	"github.com/regprune/regprune/storage"
	"golang.org/x/sync/errgroup"
)

// ReadTagsOf reads the tags of every repository in repos (ReadTags: names,
// then each tag's current link and push time), at most jobs repositories
// at a time and at most jobs tags at a time in each.
func ReadTagsOf(ctx context.Context, st *storage.Storage, repos []string, jobs int) ([]storage.Tag, error) {
	per := make([][]storage.Tag, len(repos))
	err := storage.Each(ctx, len(repos), jobs, func(ctx context.Context, i int) (err error) {
		if per[i], err = ReadTags(ctx, st, repos[i], jobs); err != nil {
			return fmt.Errorf("repository %s: tags: %w", repos[i], err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var tags []storage.Tag
	for _, ts := range per {
		tags = append(tags, ts...)
	}
	return tags, nil
}

// Skipped is a tag RemoveTags left in place, and why.
type Skipped struct {
	Tag storage.Tag
	Why string
}

// RemoveTags removes tags (as read, ReadTag), at most jobs at a time. It
// first records them all in the run's journal j (digest, push time,
// history): when that fails nothing is removed. Just before removing a
// tag it reads the tag again: one that now points elsewhere or was pushed
// since (the registry may be serving pushes) is skipped, not removed. A
// tag read without a valid current link is removed only while it still
// has none. It returns what it removed and skipped up to the first error,
// each in the order of tags; on error (a failed delete, a cancelled
// context) the rest are left in place, each tag either whole or gone.
func RemoveTags(ctx context.Context, st *storage.Storage, j *storage.Journal, tags []storage.Tag, jobs int) (removed []storage.Tag, skipped []Skipped, err error) {
	if len(tags) == 0 {
		return nil, nil, nil
	}
	if err := j.RecordTags(ctx, tags, jobs); err != nil {
		return nil, nil, fmt.Errorf("%w; no tag was removed", err)
	}
	done := make([]bool, len(tags))
	why := make([]string, len(tags))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(jobs, 1))
	for i, t := range tags {
		g.Go(func() (err error) {
			why[i], err = removeTag(gctx, st, j, t)
			done[i] = err == nil
			return err
		})
	}
	err = g.Wait()
	for i, t := range tags {
		switch {
		case !done[i]:
		case why[i] != "":
			skipped = append(skipped, Skipped{Tag: t, Why: why[i]})
		default:
			removed = append(removed, t)
		}
	}
	return removed, skipped, err
}

// removeTag removes one tag unless it changed since it was read, and then
// says why it did not.
func removeTag(ctx context.Context, st *storage.Storage, j *storage.Journal, t storage.Tag) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	now, err := ReadTag(ctx, st, t.Repository, t.Name)
	if err != nil {
		return "", fmt.Errorf("tag %s: %w", t.Ref(), err)
	}
	if (now.LinkErr == nil) != (t.LinkErr == nil) || now.Digest != t.Digest || !now.Pushed.Equal(t.Pushed) {
		return "changed since it was read (pushed again during the run)", nil
	}
	if err := j.DeleteTag(ctx, t.Repository, t.Name); err != nil {
		return "", err
	}
	return "", nil
}
