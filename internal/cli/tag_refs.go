package cli

import (
	"context"
	"fmt"
	"slices"

	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
)

// parseTagRefs checks every REF's form before the storage is even opened:
// any malformed REF is a usage error naming it.
func parseTagRefs(texts []string) ([]scan.TagRef, error) {
	refs, err := scan.ParseTagRefs(texts)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", storage.ErrUsage, err)
	}
	return refs, nil
}

// matchTagRefs resolves refs by name: it lists the repositories and the
// tags of those some REF matches (scan.ResolveRefs).
func matchTagRefs(ctx context.Context, st *storage.Storage, refs []scan.TagRef, jobs int) ([]scan.RefMatch, error) {
	cat, err := catalog(ctx, st, jobs)
	if err != nil {
		return nil, err
	}
	all := cat.Repositories
	var wanted []string
	for _, ref := range refs {
		patterns := []string{ref.Repository}
		if ref.Host != "" { // ResolveRefs may read the host as part of the name
			patterns = append(patterns, ref.Host+"/"+ref.Repository)
		}
		hit := false
		for _, r := range all {
			if matchesAny(patterns, r) {
				wanted, hit = append(wanted, r), true
			}
		}
		if s, ok := strayFor(cat, patterns...); ok && !hit {
			return nil, fmt.Errorf("REF %q: %w", ref.Text, strayError(s))
		}
	}
	slices.Sort(wanted)
	wanted = slices.Compact(wanted)
	tags, err := listTags(ctx, st, wanted, jobs)
	if err != nil {
		return nil, err
	}
	for _, r := range all {
		if _, ok := tags[r]; !ok {
			tags[r] = nil
		}
	}
	return scan.ResolveRefs(refs, tags)
}

func matchesAny(patterns []string, repo string) bool {
	for _, p := range patterns {
		if len(scan.MatchRepositories(p, []string{repo})) > 0 {
			return true
		}
	}
	return false
}

// resolveTagRefs resolves refs to the tags they name, each read (current
// link and push time): by name, then by digest (scan.SelectTags).
func resolveTagRefs(ctx context.Context, st *storage.Storage, refs []scan.TagRef, jobs int) ([]storage.Tag, error) {
	matches, err := matchTagRefs(ctx, st, refs, jobs)
	if err != nil {
		return nil, err
	}
	names := scan.MatchedTags(matches)
	read := make(map[scan.TagName]storage.Tag, len(names))
	tags := make([]storage.Tag, len(names))
	if err := eachTag(ctx, st, names, jobs, func(_ context.Context, i int, t storage.Tag) { tags[i] = t }); err != nil {
		return nil, err
	}
	for i, n := range names {
		read[n] = tags[i]
	}
	return scan.SelectTags(matches, read)
}
