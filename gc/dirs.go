package gc

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/regprune/regprune/storage"
)

// removeRepositories removes repositories the plan found empty, if they
// still are: their _manifests, _layers and _uploads, then the directory
// itself when nothing (no nested repository) is left in it, then parent
// directories that are neither repositories nor hold anything.
func (x *executor) removeRepositories(ctx context.Context) (int, error) {
	rs := x.p.Repositories
	return x.each(ctx, PhaseRepositories, len(rs), func(ctx context.Context, i int) (string, error) {
		repo := rs[i]
		empty, err := x.stillEmpty(ctx, repo)
		if err != nil || !empty {
			return "", err
		}
		for _, dir := range []string{storage.ManifestsDir, storage.LayersDir, storage.UploadsDir} {
			if err := x.st.Delete(ctx, storage.RepositoryPath(repo)+"/"+dir); err != nil {
				return "", err
			}
		}
		for p := storage.RepositoryPath(repo); p != storage.RepositoriesPath(); p = path.Dir(p) {
			if done, err := x.removeIfEmpty(ctx, p); err != nil || !done {
				return repo, err
			}
		}
		return repo, nil
	}, func(int) { x.sum.Removed.Repositories++ })
}

// stillEmpty re-lists what makes a repository non-empty: tags, upload
// sessions, revisions and layer links whose link is there (debris does
// not count).
func (x *executor) stillEmpty(ctx context.Context, repo string) (bool, error) {
	for _, p := range []string{storage.TagsPath(repo), storage.RevisionsPath(repo),
		storage.LayerLinksPath(repo), storage.UploadsPath(repo)} {
		var n int
		if p == storage.RevisionsPath(repo) || p == storage.LayerLinksPath(repo) {
			links, err := x.st.ListLinks(ctx, p)
			if err != nil {
				return false, err
			}
			n = len(links.Present())
		} else {
			names, err := x.st.ListNames(ctx, p)
			if err != nil {
				return false, err
			}
			n = len(names)
		}
		if n > 0 {
			x.warnf("repository %s: %s is not empty any more; repository kept", repo, strings.TrimPrefix(p, storage.RepositoryPath(repo)+"/"))
			return false, nil
		}
	}
	return true, nil
}

// removeIfEmpty removes directory p when it has no entries.
func (x *executor) removeIfEmpty(ctx context.Context, p string) (bool, error) {
	names, err := x.st.ListNames(ctx, p)
	if err != nil || len(names) > 0 {
		return false, err
	}
	if err := x.st.Delete(ctx, p); err != nil {
		return false, fmt.Errorf("removing empty directory: %w", err)
	}
	return true, nil
}

// removeDirectories removes blob prefix directories that the blob sweep
// left empty, and those an interrupted run left empty. (The registry creates them again when it needs them.)
func (x *executor) removeDirectories(ctx context.Context) (int, error) {
	seen := map[string]bool{}
	var prefixes []string
	for _, pre := range x.p.emptyPrefixes {
		if !seen[pre] {
			seen[pre] = true
			prefixes = append(prefixes, pre)
		}
	}
	for _, b := range x.p.Blobs() {
		pre := b.Digest.Hex()[:2]
		if !seen[pre] {
			seen[pre] = true
			prefixes = append(prefixes, pre)
		}
	}
	return x.each(ctx, PhaseDirectories, len(prefixes), func(ctx context.Context, i int) (string, error) {
		p := storage.BlobPrefixPath(prefixes[i])
		done, err := x.removeIfEmpty(ctx, p)
		if !done {
			return "", err
		}
		return p, nil
	}, func(int) {})
}

// removeUploads removes old upload sessions. One holding what the
// registry never writes (a symbolic link) is left whole, with a warning.
func (x *executor) removeUploads(ctx context.Context) (int, error) {
	us := x.p.Uploads
	return x.each(ctx, PhaseUploads, len(us), func(ctx context.Context, i int) (string, error) {
		u := us[i]
		err := x.st.Delete(ctx, storage.UploadPath(u.Repository, u.ID))
		if ae, ok := storage.IsAnomaly(err); ok {
			x.warnf("repository %s: upload session %s kept: %v", u.Repository, u.ID, ae)
			return "", nil
		}
		return u.Repository + " upload " + u.ID, err
	}, func(int) { x.sum.Removed.Uploads++ })
}
