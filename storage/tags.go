package storage

import (
	"context"
	"fmt"
)

// ListTags lists the tag names of repo, sorted: the directories under
// _manifests/tags, as the registry's tags/list sees them (a tag directory
// without current/link included). A repository without tags has none.
func (s *Storage) ListTags(ctx context.Context, repo string) ([]string, error) {
	if err := ValidRepository(repo); err != nil {
		return nil, err
	}
	return s.ListNames(ctx, TagsPath(repo))
}

// deleteTag removes one tag: its directory _manifests/tags/<tag> (current
// link and history), and nothing else. Manifest revisions and blobs stay:
// other tags may point at the same manifest. Both names are checked first,
// so no name can reach outside the tag's directory. Deleting a tag that is
// already gone succeeds. Callers go through Journal.DeleteTag, which
// removes only what the run's journal record holds.
func (s *Storage) deleteTag(ctx context.Context, repo, tag string) error {
	if err := ValidRepository(repo); err != nil {
		return err
	}
	if err := ValidTag(tag); err != nil {
		return err
	}
	if err := s.Delete(ctx, TagPath(repo, tag)); err != nil {
		return fmt.Errorf("delete tag %s:%s: %w", repo, tag, err)
	}
	return nil
}
