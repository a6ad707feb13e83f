package scan

import (
	"context"
	"fmt"
	"time"

	"github.com/regprune/regprune/storage"
)

// readTagsListed is ReadTagsNamed on object storage with bulk access: one
// listing of the repository's tags gives each current link's time and
// ETag and each tag's history; a link whose ETag names exactly one digest
// of its history (storage.TagLinks.Known) is known without a GET, the
// others are read. ok is false where nothing is listed.
func readTagsListed(ctx context.Context, st *storage.Storage, repo string, names []string, jobs int, io func(func() error) error) (tags []storage.Tag, ok bool, err error) {
	var links []storage.TagLinks
	err = io(func() (err error) {
		links, ok, err = st.ListTagLinks(ctx, repo, names)
		return err
	})
	if err != nil || !ok {
		return nil, ok, err
	}
	tags, err = resolveTags(ctx, st, repo, names, links, jobs, io)
	return tags, true, err
}

// resolveTags makes the tags names from what the listing said of their
// links: known from the ETag, missing, or read (a GET each, at most jobs
// at a time).
func resolveTags(ctx context.Context, st *storage.Storage, repo string, names []string, links []storage.TagLinks, jobs int, io func(func() error) error) ([]storage.Tag, error) {
	tags := make([]storage.Tag, len(names))
	var unknown []int
	for i, l := range links {
		t := &tags[i]
		*t = storage.Tag{Repository: repo, Name: names[i], Pushed: l.ModTime}
		if d, known := l.Known(); known {
			t.Digest = d
			continue
		}
		if !l.Exists {
			t.Pushed, t.LinkErr = time.Time{}, fmt.Errorf("%s: %w", storage.TagCurrentLinkPath(repo, names[i]), storage.ErrNotFound)
			continue
		}
		unknown = append(unknown, i)
	}
	err := storage.Each(ctx, len(unknown), jobs, func(ctx context.Context, k int) error {
		i := unknown[k]
		return io(func() error {
			t, err := readTagLink(ctx, st, repo, names[i])
			if err != nil {
				return err
			}
			if t.LinkErr == nil { // as ReadTagsNamed: a tag without a valid link has no push time
				t.Pushed = tags[i].Pushed
			}
			tags[i] = t
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return tags, nil
}
