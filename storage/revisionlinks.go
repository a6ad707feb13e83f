package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// RevisionLinks is what one listing of a repository's revisions says of
// each: whether its link file is there, and the link's modification time
// and size (a revision directory without a link has a zero time).
type RevisionLinks map[Digest]LeafInfo

// Linked reports whether revision d's link file was listed.
func (l RevisionLinks) Linked(d Digest) bool {
	info, ok := l[d]
	return ok && !info.ModTime.IsZero()
}

// ListRevisions lists repo's manifest revisions as ListDigests of
// RevisionsPath does (directory names; one that is not a digest is an
// error naming it) and, on object storage with bulk access, from one
// listing of every key beneath them (as many requests as the listing of
// the directory), what is known of each one's link; links is nil
// elsewhere.
func (s *Storage) ListRevisions(ctx context.Context, repo string) (revs []Digest, links RevisionLinks, err error) {
	p := RevisionsPath(repo)
	if s.objects == nil {
		revs, err = s.ListDigests(ctx, p)
		return revs, nil, err
	}
	if err := ValidRepository(repo); err != nil {
		return nil, nil, err
	}
	links = RevisionLinks{}
	var bad string
	err = s.objects.listKeys(ctx, p, func(k listed) {
		name, rest, _ := strings.Cut(strings.TrimPrefix(k.path, p+"/"), "/")
		if name == "" {
			return // a "folder" marker
		}
		d, err := ParseHex(name)
		if err != nil {
			if bad == "" {
				bad = name
			}
			return
		}
		info := links[d]
		info.Exists = true
		if rest == LinkFile && safeDriverPath(k.path) {
			info.Size, info.ModTime = k.size, k.mod
		}
		links[d] = info
	})
	if err != nil {
		return nil, nil, err
	}
	if bad != "" {
		_, err := ParseHex(bad)
		return nil, nil, fmt.Errorf("%s/%s: %w", p, bad, err)
	}
	revs = make([]Digest, 0, len(links))
	for d := range links {
		revs = append(revs, d)
	}
	slices.SortFunc(revs, Digest.Compare)
	return revs, links, nil
}
