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

// Catalog is what the repositories directory holds: the repositories,
// and the stray entries the registry never writes there.
type Catalog struct {
	Repositories []string // sorted
	Stray        []Stray  // sorted by path
}

// Stray is an entry under the repositories directory that is neither a
// repository nor a directory leading to one: a file, a symbolic link, a
// special file, a hidden or reserved name, a name outside the repository
// grammar, an empty directory. The walk never goes into one.
type Stray struct {
	Path   string // driver path (its last component may hold any byte)
	Kind   Kind
	Reason string // why it is stray, for humans
	// Data: a directory holding registry data (_manifests or _layers)
	// under a name the registry cannot serve.
	Data bool
}

// String names the stray (quoted when its name holds odd bytes), its
// kind and why it is stray.
func (s Stray) String() string {
	what := quoteName(s.Path) + ": " + s.Kind.String() + ", " + s.Reason
	if s.Data {
		what += ", holding registry data"
	}
	return what
}

// Opaque reports whether the stray may hold what the registry serves
// while regprune cannot read it: a symbolic link (the registry follows
// one; regprune never does), except a repository's _uploads (upload
// sessions hold nothing a tag reaches). What it holds is unknown, so gc
// refuses to sweep while it is there.
func (s Stray) Opaque() bool { return s.Kind == KindSymlink && Base(s.Path) != UploadsDir }

// Reasons a Stray gives.
const (
	StrayKind     = "not a directory"
	StrayHidden   = "hidden name"
	StrayReserved = "name reserved by the registry"
	StrayName     = "name outside the repository grammar"
	StrayEmpty    = "empty directory"
)

// Repositories lists every repository name, sorted: Catalog's list,
// stray entries left out. Commands list the Catalog, to report its stray
// entries; gc applies its stray policy to them (a symbolic link refuses
// the sweep, registry data under a name outside the grammar is kept).
func (s *Storage) Repositories(ctx context.Context, jobs int) ([]string, error) {
	c, err := s.Catalog(ctx, jobs)
	if err != nil {
		return nil, err
	}
	return c.Repositories, nil
}

// Catalog walks the repositories directory. A directory is a repository
// when it has a _manifests entry; names nest, so the walk goes on below
// repositories too, into directories only (it never follows a symbolic
// link, so it cannot loop), never into components starting with "_" or
// ".", nor into names no repository can have. What it does not go into
// is reported as stray, not an error. Directories are listed in parallel,
// at most jobs at a time.
func (s *Storage) Catalog(ctx context.Context, jobs int) (*Catalog, error) {
	if jobs < 1 {
		jobs = DefaultJobs
	}
	w := &catalogWalk{st: s, c: &Catalog{}, sem: make(chan struct{}, jobs)}
	w.g, ctx = errgroup.WithContext(ctx)
	w.visit(ctx, "")
	if err := w.g.Wait(); err != nil {
		return nil, err
	}
	sort.Strings(w.c.Repositories)
	sort.Slice(w.c.Stray, func(i, j int) bool { return w.c.Stray[i].Path < w.c.Stray[j].Path })
	return w.c, nil
}

type catalogWalk struct {
	st  *Storage
	g   *errgroup.Group
	sem chan struct{}
	mu  sync.Mutex
	c   *Catalog
}

// visit lists directory rel ("" for the repositories directory itself).
func (w *catalogWalk) visit(ctx context.Context, rel string) {
	w.g.Go(func() error {
		w.sem <- struct{}{}
		es, err := w.st.ListEntries(ctx, joinRepo(rel))
		<-w.sem
		if err != nil {
			return err
		}
		w.sort(ctx, rel, es)
		return nil
	})
}

// sort records what directory rel holds and visits its subdirectories.
func (w *catalogWalk) sort(ctx context.Context, rel string, es []Entry) {
	isRepo, data := false, false
	for _, e := range es {
		isRepo = isRepo || e.Name == ManifestsDir
		data = data || e.Name == ManifestsDir || e.Name == LayersDir
	}
	if rel != "" && len(es) == 0 {
		w.stray(Stray{Path: joinRepo(rel), Kind: KindDir, Reason: StrayEmpty})
		return
	}
	if isRepo && rel != "" {
		if err := ValidRepository(rel); err != nil {
			w.stray(Stray{Path: joinRepo(rel), Kind: KindDir, Reason: StrayName, Data: data})
			return
		}
		w.mu.Lock()
		w.c.Repositories = append(w.c.Repositories, rel)
		w.mu.Unlock()
	}
	for _, e := range es {
		p := joinRepo(rel) + "/" + e.Name
		switch {
		case strings.HasPrefix(e.Name, "_"):
			if rel == "" || !registryDir(e.Name) {
				w.stray(Stray{Path: p, Kind: e.Kind, Reason: StrayReserved})
			} else if e.Kind != KindDir {
				w.stray(Stray{Path: p, Kind: e.Kind, Reason: StrayKind})
			}
		case strings.HasPrefix(e.Name, "."):
			w.stray(Stray{Path: p, Kind: e.Kind, Reason: StrayHidden})
		case e.Kind != KindDir:
			w.stray(Stray{Path: p, Kind: e.Kind, Reason: StrayKind})
		case !ValidComponent(e.Name) || len(rel)+1+len(e.Name) > maxRepoName:
			w.stray(Stray{Path: p, Kind: e.Kind, Reason: StrayName})
		default:
			child := e.Name
			if rel != "" {
				child = rel + "/" + e.Name
			}
			w.visit(ctx, child)
		}
	}
}

// maxRepoName is the longest repository name distribution accepts.
const maxRepoName = 255

// registryDir reports whether name is one of the directories the registry
// writes in a repository.
func registryDir(name string) bool {
	return name == ManifestsDir || name == LayersDir || name == UploadsDir
}

func (w *catalogWalk) stray(s Stray) {
	w.mu.Lock()
	w.c.Stray = append(w.c.Stray, s)
	w.mu.Unlock()
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
