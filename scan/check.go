package scan

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/regprune/regprune/internal/progress"
	"github.com/regprune/regprune/storage"
	"golang.org/x/sync/errgroup"
)

// ProblemKind names what check found wrong. The values are stable: they
// are printed, and emitted in --json output.
type ProblemKind string

// Problems check reports. Each makes a pull fail (or, for DigestMismatch
// and BlobSizeMismatch, serve content that a client rejects).
const (
	TagLinkMissing       ProblemKind = "tag-link-missing"       // tags/<tag>/current/link absent
	TagLinkBad           ProblemKind = "tag-link-bad"           // current link unreadable or not a digest
	RevisionMissing      ProblemKind = "revision-missing"       // manifest has no revision link in the repository
	RevisionLinkBad      ProblemKind = "revision-link-bad"      // revision link unreadable or holding another digest
	ManifestMissing      ProblemKind = "manifest-missing"       // manifest blob data absent
	ManifestBad          ProblemKind = "manifest-bad"           // manifest blob unreadable, not JSON or not interpretable
	ChildRevisionMissing ProblemKind = "child-revision-missing" // index child without revision link in the repository (a warning)
	ChildManifestMissing ProblemKind = "child-manifest-missing" // index child without blob data
	LayerLinkMissing     ProblemKind = "layer-link-missing"     // config or layer without _layers link in the repository
	LayerLinkBad         ProblemKind = "layer-link-bad"         // _layers link unreadable or holding another digest
	BlobMissing          ProblemKind = "blob-missing"           // config or layer without blob data
	BlobSizeMismatch     ProblemKind = "blob-size-mismatch"     // blob data size differs from the descriptor's size
	DigestMismatch       ProblemKind = "digest-mismatch"        // blob data's sha256 differs from its name (--verify-digests)
	// Anomaly: a symbolic link or special file where the registry keeps
	// data (a repository, a part of one, a blob directory): the registry
	// follows it, regprune never does; gc and prune refuse to sweep.
	Anomaly ProblemKind = "anomaly"
	// BlobStoreEmpty: the blob store holds no blob while the repositories
	// hold manifests (its volume not mounted, a restore half done); gc
	// and prune refuse to sweep.
	BlobStoreEmpty ProblemKind = "blob-store-empty"
	// StrayData: registry data under a name the registry cannot serve
	// (outside the name grammar): no pull reaches it; gc keeps it whole.
	StrayData ProblemKind = "stray-data"
)

// Warning says whether problems of kind k are warnings: a state the
// registry produces and serves as it is, that breaks no pull of a tag and
// no gc. ChildRevisionMissing is one: the registry's DELETE of a manifest
// by digest removes its revision link whatever index lists it (upstream's
// garbage-collect tests take that state as normal:
// TestDeleteManifestIndexWithDanglingReferences); the index still pulls
// by tag, and only that child, by digest, is 404.
func (k ProblemKind) Warning() bool { return k == ChildRevisionMissing }

// Problem is one thing check found wrong, naming where it is.
type Problem struct {
	Repository string
	Tag        string         // the tag through which it was reached; "" for untagged revisions
	Digest     storage.Digest // the manifest or blob concerned; zero for a tag link problem
	Kind       ProblemKind
	Detail     string
}

// MarshalJSON writes {repository, tag, digest, kind, detail}, with ""
// for an absent tag or digest.
func (p Problem) MarshalJSON() ([]byte, error) {
	d := ""
	if !p.Digest.IsZero() {
		d = p.Digest.String()
	}
	return json.Marshal(struct {
		Repository string      `json:"repository"`
		Tag        string      `json:"tag"`
		Digest     string      `json:"digest"`
		Kind       ProblemKind `json:"kind"`
		Detail     string      `json:"detail"`
	}{p.Repository, p.Tag, d, p.Kind, p.Detail})
}

// CheckOptions says what Check reads.
type CheckOptions struct {
	Repositories  []string // the repositories to check (all, when nil)
	VerifyDigests bool     // hash every referenced blob and compare with its name
	Jobs          int      // bounded parallel I/O (storage.DefaultJobs when < 1)
	// Progress starts a progress display for a phase; nil shows none.
	Progress func(phase string, total int64, unit progress.Unit, items string) *progress.Bar
}

// CheckResult is what Check found and how much it read.
type CheckResult struct {
	Problems []Problem `json:"problems"`
	// Warnings are what the registry serves as it is (see
	// ProblemKind.Warning): reported, but check is clean with them.
	Warnings      []Problem `json:"warnings"`
	Repositories  int       `json:"repositories"`
	Tags          int       `json:"tags"`
	Manifests     int       `json:"manifests"`
	Blobs         int       `json:"blobs"`
	Verified      int       `json:"verified_blobs"`
	VerifiedBytes int64     `json:"verified_bytes"`
}

// Check reads the storage the way the registry serves it, repository by
// repository: every tag's current link, every manifest revision and what
// it references (index children, configs, layers), each through the
// repository's links and the blob store. It never writes. Problems are
// returned sorted by repository, tag, digest and kind; an error is
// returned only when the storage itself cannot be read (or ctx ends).
func Check(ctx context.Context, st *storage.Storage, opts CheckOptions) (*CheckResult, error) {
	c := newChecker(st, opts)
	repos := opts.Repositories
	if repos == nil {
		// On object storage every repository is listed once (in ranges),
		// and every listing below is answered from it.
		var err error
		if ctx, _, err = st.Snapshot(ctx, storage.RepositoriesPath(), c.jobs); err != nil {
			return nil, err
		}
		cat, err := st.Catalog(ctx, c.jobs)
		if err != nil {
			return nil, err
		}
		repos = cat.Repositories
		c.strays(cat.Stray)
	}
	if err := c.checkRepositories(ctx, repos); err != nil {
		return nil, err
	}
	if opts.Repositories == nil && c.result.Manifests > 0 {
		if err := c.checkBlobStore(ctx); err != nil {
			return nil, err
		}
	}
	if opts.Repositories == nil {
		c.checkLock(ctx)
	}
	if opts.VerifyDigests {
		if err := c.verifyDigests(ctx); err != nil {
			return nil, err
		}
	}
	res := &c.result
	res.Repositories = len(repos)
	res.Blobs = len(c.refs)
	sortProblems(res.Problems)
	res.Warnings = []Problem{}
	kept := res.Problems[:0]
	for _, p := range res.Problems {
		if p.Kind.Warning() {
			res.Warnings = append(res.Warnings, p)
		} else {
			kept = append(kept, p)
		}
	}
	res.Problems = kept
	return res, nil
}

// checkBlobStore reports a blob store without a single prefix directory
// while the repositories hold manifests: one listing.
func (c *checker) checkBlobStore(ctx context.Context) error {
	es, err := c.st.ListEntries(ctx, storage.BlobAlgorithmPath())
	if _, ok := storage.IsAnomaly(err); ok {
		c.result.Problems = append(c.result.Problems, Problem{Kind: Anomaly, Detail: err.Error()})
		return nil
	}
	if err != nil {
		return err
	}
	if len(es) == 0 {
		c.result.Problems = append(c.result.Problems, Problem{Kind: BlobStoreEmpty, Detail: fmt.Sprintf(
			"blob store %s holds no blob while the repositories hold %d manifests: is its volume mounted? a restore unfinished?",
			storage.BlobsRoot(), c.result.Manifests)})
	}
	return nil
}

// checkLock reports regprune's lock path when it is a symbolic link or
// special file: every changing command refuses to lock through it.
func (c *checker) checkLock(ctx context.Context) {
	if _, err := c.st.Stat(ctx, storage.LockPath()); err != nil {
		if ae, ok := storage.IsAnomaly(err); ok {
			c.result.Problems = append(c.result.Problems, Problem{Kind: Anomaly,
				Detail: ae.Error() + "; every changing command refuses to take the lock through it: remove it"})
		}
	}
}

// strays reports the stray entries of the repositories directory that
// may hold what the registry serves: a symbolic link (an anomaly; a
// linked _uploads aside) and registry data under a name outside the
// grammar. Harmless ones (files, empty or foreign directories) are not
// problems.
func (c *checker) strays(stray []storage.Stray) {
	for _, s := range stray {
		name := strings.TrimPrefix(s.Path, storage.RepositoriesPath()+"/")
		switch {
		case s.Opaque():
			c.result.Problems = append(c.result.Problems, Problem{Repository: name, Kind: Anomaly,
				Detail: storage.Anomaly(s.Path, s.Kind).Error()})
		case s.Data:
			c.result.Problems = append(c.result.Problems, Problem{Repository: name, Kind: StrayData,
				Detail: s.String() + ": the registry cannot serve it under this name"})
		}
	}
}

func (c *checker) checkRepositories(ctx context.Context, repos []string) error {
	bar := c.bar("checking repositories", int64(len(repos)), progress.Items, "repositories")
	defer bar.Done()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.jobs)
	for _, repo := range repos {
		g.Go(func() error {
			err := c.checkRepository(gctx, repo)
			bar.Add(1)
			return err
		})
	}
	return g.Wait()
}

func (c *checker) bar(phase string, total int64, unit progress.Unit, items string) *progress.Bar {
	if c.opts.Progress == nil {
		return nil
	}
	return c.opts.Progress(phase, total, unit, items)
}

func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.Repository != b.Repository {
			return a.Repository < b.Repository
		}
		if a.Tag != b.Tag {
			return a.Tag < b.Tag
		}
		if a.Digest != b.Digest {
			return a.Digest.String() < b.Digest.String()
		}
		return a.Kind < b.Kind
	})
}

// Summary is the one-line verdict: "no problems" or how many, and where.
func (r *CheckResult) Summary() string {
	scope := fmt.Sprintf("%d repositories, %d tags, %d manifests, %d blobs", r.Repositories, r.Tags, r.Manifests, r.Blobs)
	if r.Verified > 0 {
		scope += fmt.Sprintf(", %d blob digests verified", r.Verified)
	}
	if len(r.Problems) == 0 {
		if len(r.Warnings) > 0 {
			return fmt.Sprintf("check: no problems in %s (%d warnings)", scope, len(r.Warnings))
		}
		return "check: no problems in " + scope
	}
	repos := map[string]bool{}
	for _, p := range r.Problems {
		repos[p.Repository] = true
	}
	noun := "problems"
	if len(r.Problems) == 1 {
		noun = "problem"
	}
	return fmt.Sprintf("check: %d %s in %d of %s", len(r.Problems), noun, len(repos), scope)
}
