package storage

import (
	"context"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
)

// DefaultJobs bounds parallel I/O when the caller does not say.
const DefaultJobs = 16

// Repositories lists every repository name, sorted. A directory is a
// repository when it has a _manifests child; names nest, so the walk goes
// on below repositories too, never into components starting with "_".
// Directories are listed in parallel, at most jobs at a time.
func (s *Storage) Repositories(ctx context.Context, jobs int) ([]string, error) {
	if jobs < 1 {
		jobs = DefaultJobs
	}
	var (
		mu    sync.Mutex
		repos []string
	)
	g, gctx := errgroup.WithContext(ctx)
	sem := make(chan struct{}, jobs)
	var visit func(rel string)
	visit = func(rel string) {
		g.Go(func() error {
			sem <- struct{}{}
			names, err := s.ListNames(gctx, joinRepo(rel))
			<-sem
			if err != nil {
				return err
			}
			for _, n := range names {
				if n == ManifestsDir && rel != "" {
					mu.Lock()
					repos = append(repos, rel)
					mu.Unlock()
				}
				if strings.HasPrefix(n, "_") || strings.HasPrefix(n, ".") {
					continue
				}
				child := n
				if rel != "" {
					child = rel + "/" + n
				}
				visit(child)
			}
			return nil
		})
	}
	visit("")
	if err := g.Wait(); err != nil {
		return nil, err
	}
	sort.Strings(repos)
	return repos, nil
}

func joinRepo(rel string) string {
	if rel == "" {
		return RepositoriesPath()
	}
	return RepositoryPath(rel)
}

// IsRepository reports whether name is a repository (has _manifests).
func (s *Storage) IsRepository(ctx context.Context, name string) (bool, error) {
	names, err := s.ListNames(ctx, RepositoryPath(name))
	if err != nil {
		return false, err
	}
	for _, n := range names {
		if n == ManifestsDir {
			return true, nil
		}
	}
	return false, nil
}
