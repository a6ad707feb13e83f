package gc

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/regprune/regprune/storage"
)

// LeafKind names a repository's kind of link leaf.
type LeafKind string

// The kinds of link leaf gc finds without their link (debris) or with a
// link that is no link (malformed).
const (
	LeafRevision   LeafKind = "revision"    // _manifests/revisions/sha256/<hex>
	LeafLayerLink  LeafKind = "layer link"  // _layers/sha256/<hex>
	LeafTagHistory LeafKind = "tag history" // _manifests/tags/<tag>/index/sha256/<hex>
)

// DebrisRemoval is a leaf directory without its link: what the registry's
// delete by digest leaves (it removes the link only). Nothing reads it;
// gc removes it and the directories it leaves empty, up to the
// repository's _manifests/revisions, _layers or tag index/ directory.
type DebrisRemoval struct {
	Repository string
	Kind       LeafKind
	Tag        string // for LeafTagHistory
	Digest     storage.Digest
}

// Leaf is the removal's leaf.
func (d DebrisRemoval) Leaf() storage.Leaf {
	switch d.Kind {
	case LeafRevision:
		return storage.RevisionLeaf(d.Repository, d.Digest)
	case LeafLayerLink:
		return storage.LayerLinkLeaf(d.Repository, d.Digest)
	default:
		return storage.TagIndexLeaf(d.Repository, d.Tag, d.Digest)
	}
}

// String names it as the plan and -v print it.
func (d DebrisRemoval) String() string {
	if d.Kind == LeafTagHistory {
		return fmt.Sprintf("%s:%s %s %s", d.Repository, d.Tag, d.Kind, d.Digest)
	}
	return fmt.Sprintf("%s %s %s", d.Repository, d.Kind, d.Digest)
}

// MalformedLink is a leaf whose link exists but is no link (a file of
// another size, a directory, a symbolic link or special file; see
// storage.Links). gc keeps it, and what it might reach, and reports it:
// the command ends non-zero.
type MalformedLink struct {
	Repository string
	Kind       LeafKind
	Tag        string // for LeafTagHistory
	Digest     storage.Digest
	Reason     string
}

func (m MalformedLink) String() string {
	where := m.Repository
	if m.Tag != "" {
		where += ":" + m.Tag
	}
	return fmt.Sprintf("%s %s %s: %s; kept", where, m.Kind, m.Digest, m.Reason)
}

// malformed records a malformed leaf of repo.
func (pl *planner) malformed(repo string, kind LeafKind, tag string, b storage.BadLink) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	pl.plan.Malformed = append(pl.plan.Malformed, MalformedLink{Repository: repo, Kind: kind, Tag: tag, Digest: b.Digest, Reason: b.Err.Error()})
}

// planDebris returns the repository's debris leaves older than the grace
// period: revision and layer link directories without their link, and
// the tag history debris planHistory found.
func (pl *planner) planDebris(ctx context.Context, r *repoState, history []DebrisRemoval) ([]DebrisRemoval, error) {
	all := make([]DebrisRemoval, 0, len(r.revDebris)+len(r.linkDebris)+len(history))
	for _, d := range r.revDebris {
		all = append(all, DebrisRemoval{Repository: r.name, Kind: LeafRevision, Digest: d})
	}
	for _, d := range r.linkDebris {
		all = append(all, DebrisRemoval{Repository: r.name, Kind: LeafLayerLink, Digest: d})
	}
	all = append(all, history...)
	if len(all) == 0 {
		return nil, nil
	}
	var infos []storage.LeafInfo
	err := pl.io(ctx, func() (err error) {
		infos, err = pl.st.StatLeaves(ctx, len(all), 1, func(i int) storage.Leaf { return all[i].Leaf() })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w", r.name, err)
	}
	out := all[:0]
	for i, d := range all {
		if infos[i].Exists && pl.opts.recent(infos[i].ModTime) {
			r.keptLinks++ // counted with the grace period's other keeps
			continue
		}
		out = append(out, d)
	}
	return out, nil
}

// removeDebris removes the plan's debris leaves that still hold no link
// (storage.DeleteDebris: a link written since keeps its leaf), then the
// directories they leave empty, up to the repository's revisions, layer
// links or tag index/ directory (each removed only when empty: an rmdir).
func (x *executor) removeDebris(ctx context.Context) (int, error) {
	ds := x.p.Debris
	n, err := x.each(ctx, PhaseDebris, len(ds), func(ctx context.Context, i int) (string, error) {
		gone, err := x.st.DeleteDebris(ctx, ds[i].Leaf())
		if err != nil || !gone {
			return "", err
		}
		return ds[i].String(), nil
	}, func(int) { x.sum.Removed.Debris++ })
	if err != nil {
		return n, err
	}
	return n, x.removeEmptyParents(ctx)
}

// removeEmptyParents removes, deepest first, the directories between the
// plan's debris leaves and their repository's _manifests, _layers or tag
// directory that are left empty.
func (x *executor) removeEmptyParents(ctx context.Context) error {
	seen := map[string]bool{}
	var dirs []string
	for _, d := range x.p.Debris {
		stop := storage.ManifestsPath(d.Repository)
		switch d.Kind {
		case LeafLayerLink:
			stop = storage.RepositoryPath(d.Repository)
		case LeafTagHistory:
			stop = storage.TagPath(d.Repository, d.Tag)
		}
		for p := path.Dir(d.Leaf().Dir); len(p) > len(stop) && strings.HasPrefix(p, stop+"/"); p = path.Dir(p) {
			if !seen[p] {
				seen[p] = true
				dirs = append(dirs, p)
			}
		}
	}
	slices.SortFunc(dirs, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
	for _, p := range dirs {
		if _, err := x.st.RemoveEmptyDir(ctx, p); err != nil {
			return fmt.Errorf("removing empty directory: %w", err)
		}
	}
	return nil
}
