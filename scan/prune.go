package scan

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/regprune/regprune/storage"
	"golang.org/x/sync/errgroup"
)

// Governed is the repositories of repos that some rule governs, in order.
func Governed(repos []string, rules []Rule) []string {
	var out []string
	for _, r := range repos {
		if _, ok := governing(r, rules); ok {
			out = append(out, r)
		}
	}
	return out
}

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

// Skipped is a tag chosen for removal that was left in place.
type Skipped struct {
	Decision Decision
	Why      string
}

// RemoveTags removes the tags of the decisions marked Remove, at most jobs
// at a time. Just before removing a tag it reads the tag again: one that
// now points elsewhere or was pushed since (the registry may be serving
// pushes) is skipped, not removed. It returns what it removed and skipped
// up to the first error; on error (a failed delete, a cancelled context)
// the rest are left in place, each tag either whole or gone.
func RemoveTags(ctx context.Context, st *storage.Storage, ds []Decision, jobs int) (removed []Decision, skipped []Skipped, err error) {
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(jobs, 1))
	for _, d := range ds {
		if !d.Remove {
			continue
		}
		g.Go(func() error {
			why, err := removeTag(gctx, st, d)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				return err
			case why != "":
				skipped = append(skipped, Skipped{Decision: d, Why: why})
			default:
				removed = append(removed, d)
			}
			return nil
		})
	}
	err = g.Wait()
	sort.Slice(removed, func(i, j int) bool { return tagLess(removed[i].Tag, removed[j].Tag) })
	return removed, skipped, err
}

// removeTag removes one tag unless it changed since d was decided, and
// then says why it did not.
func removeTag(ctx context.Context, st *storage.Storage, d Decision) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	now, err := ReadTag(ctx, st, d.Tag.Repository, d.Tag.Name)
	if err != nil {
		return "", fmt.Errorf("tag %s: %w", d.Tag.Ref(), err)
	}
	if now.LinkErr != nil || now.Digest != d.Tag.Digest || !now.Pushed.Equal(d.Tag.Pushed) {
		return "changed since it was read (pushed again during the run)", nil
	}
	if err := st.DeleteTag(ctx, d.Tag.Repository, d.Tag.Name); err != nil {
		return "", err
	}
	return "", nil
}
