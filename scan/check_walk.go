package scan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/regprune/regprune/storage"
	"golang.org/x/sync/errgroup"
)

// checker holds what Check shares across repositories: the parsed
// manifests and blob sizes (each read once), and the results.
type checker struct {
	st    *storage.Storage
	opts  CheckOptions
	jobs  int
	sem   limiter // bounds I/O across all repositories
	mans  *Manifests
	sizes *memo[storage.Digest, int64] // blob data sizes

	mu     sync.Mutex
	result CheckResult
	refs   map[storage.Digest]*blobRef // every blob reached, with its first referrer
}

// blobRef is a reached blob: where it was first reached, its size when
// its data exists, and in how many repositories.
type blobRef struct {
	repo, tag string
	size      int64
	present   bool
	repos     int
}

func newChecker(st *storage.Storage, opts CheckOptions) *checker {
	jobs := opts.Jobs
	if jobs < 1 {
		jobs = storage.DefaultJobs
	}
	return &checker{
		st: st, opts: opts, jobs: jobs,
		sem:   make(limiter, jobs),
		mans:  NewManifests(st),
		sizes: newMemo[storage.Digest, int64](),
		refs:  make(map[storage.Digest]*blobRef),
	}
}

// io runs one storage operation within the I/O bound.
func (c *checker) io(ctx context.Context, f func() error) error { return c.sem.do(ctx, f) }

func (c *checker) readLink(ctx context.Context, p string) (d storage.Digest, err error) {
	err = c.io(ctx, func() error { d, err = c.st.ReadLink(ctx, p); return err })
	return d, err
}

func (c *checker) blobSize(ctx context.Context, d storage.Digest) (int64, error) {
	return c.sizes.get(d, func() (size int64, err error) {
		err = c.io(ctx, func() error {
			fi, err := c.st.Stat(ctx, storage.BlobDataPath(d))
			if err == nil {
				size = fi.Size()
			}
			return err
		})
		return size, err
	})
}

func (c *checker) manifest(ctx context.Context, d storage.Digest) (m *Manifest, size int64, err error) {
	err = c.io(ctx, func() error { m, size, err = c.mans.Get(ctx, d); return err })
	return m, size, err
}

// missing sorts a read error: absent (true), the run's end (fatal), or
// anything else (false, nil): unreadable content, reported as a problem.
func missing(err error) (bool, error) {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false, err
	case errors.Is(err, storage.ErrNotFound):
		return true, nil
	default:
		return false, nil
	}
}

// repoCheck walks one repository twice: first in parallel, filling the
// memos (links here, manifests and sizes in the checker); then in order,
// from the memos, reporting each problem once with the first tag (by
// name) that reaches it, so that output does not depend on scheduling.
type repoCheck struct {
	c          *checker
	repo       string
	revLinks   *memo[storage.Digest, storage.Digest]
	layerLinks *memo[storage.Digest, storage.Digest]

	report   bool
	mu       sync.Mutex
	seen     map[storage.Digest]bool // manifests walked in this pass
	seenBlob map[storage.Digest]bool // configs and layers checked in this pass
	problems []Problem
}

type tagLink struct {
	name string
	d    storage.Digest
	err  error
}

func (c *checker) checkRepository(ctx context.Context, repo string) error {
	r := &repoCheck{c: c, repo: repo,
		revLinks:   newMemo[storage.Digest, storage.Digest](),
		layerLinks: newMemo[storage.Digest, storage.Digest](),
	}
	tags, revs, err := r.roots(ctx)
	if err != nil {
		return fmt.Errorf("repository %s: %w", repo, err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.jobs)
	r.reset(false)
	for _, t := range tags {
		if t.err == nil {
			g.Go(func() error { return r.walk(gctx, t.d, t.name, nil) })
		}
	}
	for _, d := range revs {
		g.Go(func() error { return r.walk(gctx, d, "", nil) })
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("repository %s: %w", repo, err)
	}
	return r.reportAll(ctx, tags, revs)
}

// reportAll is the ordered pass: tags by name, then untagged revisions.
func (r *repoCheck) reportAll(ctx context.Context, tags []tagLink, revs []storage.Digest) error {
	r.reset(true)
	for _, t := range tags {
		if t.err != nil {
			r.tagProblem(t)
			continue
		}
		if err := r.walk(ctx, t.d, t.name, nil); err != nil {
			return fmt.Errorf("repository %s: %w", r.repo, err)
		}
	}
	for _, d := range revs {
		if err := r.walk(ctx, d, "", nil); err != nil {
			return fmt.Errorf("repository %s: %w", r.repo, err)
		}
	}
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	r.c.result.Problems = append(r.c.result.Problems, r.problems...)
	r.c.result.Tags += len(tags)
	r.c.result.Manifests += len(r.seen)
	return nil
}

func (r *repoCheck) reset(report bool) {
	r.report = report
	r.seen = make(map[storage.Digest]bool)
	r.seenBlob = make(map[storage.Digest]bool)
}

// roots reads the tags' current links (in parallel) and lists revisions.
func (r *repoCheck) roots(ctx context.Context) ([]tagLink, []storage.Digest, error) {
	names, err := r.c.st.ListNames(ctx, storage.TagsPath(r.repo))
	if err != nil {
		return nil, nil, err
	}
	links, err := r.c.st.ListLinks(ctx, storage.RevisionsPath(r.repo))
	if err != nil {
		return nil, nil, err
	}
	revs := links.Present() // a malformed link is walked, and reported
	slices.SortFunc(revs, storage.Digest.Compare)
	tags := make([]tagLink, len(names))
	g, gctx := errgroup.WithContext(ctx)
	for i, n := range names {
		g.Go(func() error {
			d, err := r.c.readLink(gctx, storage.TagCurrentLinkPath(r.repo, n))
			tags[i] = tagLink{name: n, d: d, err: err}
			_, fatal := missing(err)
			return fatal
		})
	}
	return tags, revs, g.Wait()
}

func (r *repoCheck) tagProblem(t tagLink) {
	p := storage.TagCurrentLinkPath(r.repo, t.name)
	if gone, _ := missing(t.err); gone {
		r.add(Problem{Tag: t.name, Kind: TagLinkMissing, Detail: "tag has no current link (" + p + "): pulling it fails"})
		return
	}
	r.add(Problem{Tag: t.name, Kind: TagLinkBad, Detail: "current link unreadable or not a digest: " + t.err.Error()})
}

func (r *repoCheck) add(p Problem) {
	if !r.report {
		return
	}
	p.Repository = r.repo
	r.problems = append(r.problems, p)
}

// first marks d in set and reports whether it was new.
func (r *repoCheck) first(set map[storage.Digest]bool, d storage.Digest) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if set[d] {
		return false
	}
	set[d] = true
	return true
}
