package scan

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/regprune/regprune/storage"
)

// TagName names one tag of one repository.
type TagName struct {
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
}

// String is "repository:tag".
func (n TagName) String() string { return n.Repository + ":" + n.Tag }

// ParseRef splits a REF "repository:tag" at its last ':' (a repository
// name may hold a registry port, a tag never holds ':' or '/') and checks
// both sides: a literal against distribution's reference grammar, a glob
// for its syntax and for path traversal. Errors wrap storage.ErrBadName.
func ParseRef(ref string) (repoGlob, tagGlob string, err error) {
	i := strings.LastIndexByte(ref, ':')
	if i < 0 || strings.Contains(ref[i+1:], "/") {
		return "", "", fmt.Errorf("%w: want repository:tag", storage.ErrBadName)
	}
	repoGlob, tagGlob = ref[:i], ref[i+1:]
	if err := storage.CheckRepositoryPattern(repoGlob); err != nil {
		return "", "", err
	}
	if err := storage.CheckTagPattern(tagGlob); err != nil {
		return "", "", err
	}
	return repoGlob, tagGlob, nil
}

// MatchRepositories returns the repositories (from repos, in their order)
// matched by a name or glob. Only names within the grammar match.
func MatchRepositories(pattern string, repos []string) []string {
	return matchNames(pattern, repos, storage.ValidRepository)
}

func matchNames(pattern string, names []string, valid func(string) error) []string {
	var out []string
	for _, n := range names {
		if storage.MatchGlob(pattern, n) && valid(n) == nil {
			out = append(out, n)
		}
	}
	return out
}

// ResolveRefs resolves REFs ("repository:tag", either side a glob) against
// the repositories and their tag names. Every REF must be well formed
// (errors wrap storage.ErrBadName) and match at least one existing tag (a
// literal that does not exist wraps storage.ErrNotFound, a glob matching
// nothing storage.ErrNoMatch). Every failing REF is reported, each error
// naming it; on any failure no tag is returned. The result is sorted and
// holds each tag once.
func ResolveRefs(refs []string, repos map[string][]string) ([]TagName, error) {
	names := slices.Sorted(maps.Keys(repos))
	seen := make(map[TagName]bool)
	var errs []error
	for _, ref := range refs {
		found, err := resolveRef(ref, names, repos)
		if err != nil {
			errs = append(errs, fmt.Errorf("REF %q: %w", ref, err))
			continue
		}
		for _, n := range found {
			seen[n] = true
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	out := make([]TagName, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Repository != out[j].Repository {
			return out[i].Repository < out[j].Repository
		}
		return out[i].Tag < out[j].Tag
	})
	return out, nil
}

func resolveRef(ref string, names []string, repos map[string][]string) ([]TagName, error) {
	rg, tg, err := ParseRef(ref)
	if err != nil {
		return nil, err
	}
	matched := MatchRepositories(rg, names)
	if len(matched) == 0 {
		return nil, notFound(rg, "repository")
	}
	var out []TagName
	for _, repo := range matched {
		for _, tag := range matchNames(tg, repos[repo], storage.ValidTag) {
			out = append(out, TagName{Repository: repo, Tag: tag})
		}
	}
	if len(out) == 0 {
		if len(matched) == 1 {
			return nil, fmt.Errorf("%w in repository %s", notFound(tg, "tag"), matched[0])
		}
		return nil, fmt.Errorf("%w in repositories %s", notFound(tg, "tag"), strings.Join(matched, ", "))
	}
	return out, nil
}

func notFound(pattern, what string) error {
	if storage.IsGlob(pattern) {
		return fmt.Errorf("%w: %s glob %q matches no %s", storage.ErrNoMatch, what, pattern, what)
	}
	return fmt.Errorf("%w: no %s %q", storage.ErrNotFound, what, pattern)
}
