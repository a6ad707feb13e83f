package scan

import (
	"context"
	"fmt"

	"github.com/regprune/regprune/storage"
)

// CheckImage checks one manifest of one repository exactly as Check checks
// what a tag reaches: the revision link and blob data of d, the children
// of an index at any depth (each with its revision link in repo), and the
// config and layers of every manifest reached (each with its _layers link
// in repo and blob data of the right size). tag only names the problems.
// No problem means a tag pointing at d pulls whole. An error is returned
// only when the storage cannot be read (or ctx ends).
func CheckImage(ctx context.Context, st *storage.Storage, repo, tag string, d storage.Digest, jobs int) ([]Problem, error) {
	if err := storage.ValidRepository(repo); err != nil {
		return nil, err
	}
	c := newChecker(st, CheckOptions{Jobs: jobs})
	r := &repoCheck{c: c, repo: repo,
		revLinks:   newMemo[storage.Digest, storage.Digest](),
		layerLinks: newMemo[storage.Digest, storage.Digest](),
	}
	r.reset(true)
	if err := r.walk(ctx, d, tag, nil); err != nil {
		return nil, fmt.Errorf("repository %s: %w", repo, err)
	}
	sortProblems(r.problems)
	return r.problems, nil
}
