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

// TagRef is a REF naming tags, as people copy references from docker, crane
// or a registry's web page: [HOST/]REPOSITORY:TAG, [HOST/]REPOSITORY@DIGEST
// (every tag pointing at that manifest) or [HOST/]REPOSITORY:TAG@DIGEST
// (the tag, only while it points at that manifest). REPOSITORY and TAG may
// be shell-style globs.
type TagRef struct {
	Text       string         // as given
	Host       string         // the registry host in front, by docker's rule (storage.SplitHost); "" when none
	Repository string         // name or glob below the host
	Tag        string         // name or glob; "" for REPOSITORY@DIGEST
	Digest     storage.Digest // zero without @DIGEST
}

// ParseTagRef reads a REF and checks its form: the host against the host
// grammar, a literal repository or tag against distribution's reference
// grammar, a glob for its syntax and for path traversal, the digest as a
// canonical sha256 digest. Errors wrap storage.ErrBadName.
func ParseTagRef(text string) (TagRef, error) {
	r := TagRef{Text: text}
	name, digest, hasDigest := strings.Cut(text, "@")
	if hasDigest {
		d, err := storage.ParseDigest(digest)
		if err != nil {
			return TagRef{}, fmt.Errorf("%w: digest: %w", storage.ErrBadName, err)
		}
		if d.IsZero() { // the zero Digest means "no digest" here; no manifest hashes to it
			return TagRef{}, fmt.Errorf("%w: digest %s names no manifest", storage.ErrBadName, digest)
		}
		r.Digest = d
	}
	r.Host, name = storage.SplitHost(name)
	if r.Host != "" {
		if err := storage.ValidHost(r.Host); err != nil {
			return TagRef{}, err
		}
	}
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		name, r.Tag = name[:i], name[i+1:]
		if r.Tag == "" || strings.Contains(r.Tag, "/") {
			return TagRef{}, fmt.Errorf("%w: want repository:tag, repository@digest or repository:tag@digest", storage.ErrBadName)
		}
	} else if !hasDigest {
		return TagRef{}, fmt.Errorf("%w: want repository:tag, repository@digest or repository:tag@digest", storage.ErrBadName)
	}
	if strings.Contains(name, ":") {
		return TagRef{}, fmt.Errorf("%w: repository %q: a ':' is only a registry host's (in front: host:port/repository)", storage.ErrBadName, name)
	}
	r.Repository = name
	if err := storage.CheckRepositoryPattern(r.Repository); err != nil {
		return TagRef{}, err
	}
	if r.Tag != "" {
		if err := storage.CheckTagPattern(r.Tag); err != nil {
			return TagRef{}, err
		}
	}
	return r, nil
}

// ParseTagRefs parses every REF; every malformed one is reported, each error
// naming it.
func ParseTagRefs(texts []string) ([]TagRef, error) {
	refs := make([]TagRef, 0, len(texts))
	var errs []error
	for _, t := range texts {
		r, err := ParseTagRef(t)
		if err != nil {
			errs = append(errs, fmt.Errorf("REF %q: %w", t, err))
			continue
		}
		refs = append(refs, r)
	}
	return refs, errors.Join(errs...)
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

// RefMatch is what one REF names, by name: the tags of the repositories
// it matches that its tag matches (every tag of them without a tag).
// Ref.Repository is the pattern that matched them (with the host kept
// when only that reading names a repository, see ResolveRefs).
type RefMatch struct {
	Ref  TagRef
	Tags []TagName
}

// ResolveRefs resolves REFs by name against the repositories and their
// tag names. A REF whose host (by docker's rule) could also be the first
// component of a repository this storage holds is read the way that
// names something: both ways is ambiguous, an error wrapping
// storage.ErrUsage that says how to write each. Every REF must match at
// least one tag (a literal that does not exist wraps storage.ErrNotFound,
// a glob matching nothing storage.ErrNoMatch). Every failing REF is
// reported, each error naming it; on any failure nothing is returned.
func ResolveRefs(refs []TagRef, repos map[string][]string) ([]RefMatch, error) {
	names := slices.Sorted(maps.Keys(repos))
	out := make([]RefMatch, 0, len(refs))
	var errs []error
	for _, ref := range refs {
		m, err := resolveRef(ref, names, repos)
		if err != nil {
			errs = append(errs, fmt.Errorf("REF %q: %w", ref.Text, err))
			continue
		}
		out = append(out, m)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func resolveRef(ref TagRef, names []string, repos map[string][]string) (RefMatch, error) {
	matched := MatchRepositories(ref.Repository, names)
	if ref.Host != "" && !strings.Contains(ref.Host, ":") && strings.ToLower(ref.Host) == ref.Host {
		whole := ref.Host + "/" + ref.Repository
		if literal := MatchRepositories(whole, names); len(literal) > 0 {
			if len(matched) > 0 {
				return RefMatch{}, fmt.Errorf("%w: ambiguous: docker reads %q as a registry host (repository %s), "+
					"but this storage also holds repository %s; write %q for the first, or put any host in front "+
					"(%q) for the second", storage.ErrUsage, ref.Host, matched[0], literal[0],
					strings.TrimPrefix(ref.Text, ref.Host+"/"), "localhost/"+ref.Text)
			}
			ref.Repository, ref.Host, matched = whole, "", literal
		}
	}
	if len(matched) == 0 {
		return RefMatch{}, notFound(ref.Repository, "repository")
	}
	m := RefMatch{Ref: ref}
	tagGlob := ref.Tag
	if tagGlob == "" {
		tagGlob = "*"
	}
	for _, repo := range matched {
		for _, tag := range matchNames(tagGlob, repos[repo], storage.ValidTag) {
			m.Tags = append(m.Tags, TagName{Repository: repo, Tag: tag})
		}
	}
	if len(m.Tags) > 0 {
		return m, nil
	}
	where := "in repository " + matched[0]
	if len(matched) > 1 {
		where = "in repositories " + strings.Join(matched, ", ")
	}
	if ref.Tag == "" {
		return RefMatch{}, fmt.Errorf("%w: no tag %s", storage.ErrNotFound, where)
	}
	return RefMatch{}, fmt.Errorf("%w %s", notFound(ref.Tag, "tag"), where)
}

// MatchedTags lists the tags the matches name, each once, sorted.
func MatchedTags(matches []RefMatch) []TagName {
	seen := make(map[TagName]bool)
	for _, m := range matches {
		for _, n := range m.Tags {
			seen[n] = true
		}
	}
	return sortedNames(seen)
}

// SelectTags keeps, of the tags each REF matched by name (read holds each
// tag's current link, ReadTag), those the REF names: all of them for a REF
// without a digest; for REPOSITORY@DIGEST or a glob tag with @DIGEST those
// pointing at DIGEST (none: storage.ErrNotFound); for TAG@DIGEST the tag
// while it points at DIGEST, else storage.ErrTagMoved naming the tag and
// both digests. Every failing REF is reported; on any failure nothing is
// returned. The result holds each tag once, sorted.
func SelectTags(matches []RefMatch, read map[TagName]storage.Tag) ([]storage.Tag, error) {
	chosen := make(map[TagName]bool)
	var errs []error
	for _, m := range matches {
		names, err := selectTags(m, read)
		if err != nil {
			errs = append(errs, fmt.Errorf("REF %q: %w", m.Ref.Text, err))
			continue
		}
		for _, n := range names {
			chosen[n] = true
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var out []storage.Tag
	for _, n := range sortedNames(chosen) {
		out = append(out, read[n])
	}
	return out, nil
}

func selectTags(m RefMatch, read map[TagName]storage.Tag) ([]TagName, error) {
	d := m.Ref.Digest
	if d.IsZero() {
		return m.Tags, nil
	}
	if m.Ref.Tag != "" && !storage.IsGlob(m.Ref.Tag) {
		var errs []error
		for _, n := range m.Tags { // one per repository the REF matches
			if t := read[n]; t.LinkErr != nil || t.Digest != d {
				now := "no valid current link"
				if t.LinkErr == nil {
					now = t.Digest.String()
				}
				errs = append(errs, fmt.Errorf("%w: tag %s points at %s, not %s: left in place", storage.ErrTagMoved, n, now, d))
			}
		}
		return m.Tags, errors.Join(errs...)
	}
	var out []TagName
	for _, n := range m.Tags {
		if t := read[n]; t.LinkErr == nil && t.Digest == d {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no tag matching %q points at %s", storage.ErrNotFound, refTagGlob(m.Ref), d)
	}
	return out, nil
}

// refTagGlob is the REF without its digest and host: repository:tag, or
// repository:* for a REF without a tag.
func refTagGlob(r TagRef) string {
	if r.Tag == "" {
		return r.Repository + ":*"
	}
	return r.Repository + ":" + r.Tag
}

func sortedNames(set map[TagName]bool) []TagName {
	out := make([]TagName, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Repository != out[j].Repository {
			return out[i].Repository < out[j].Repository
		}
		return out[i].Tag < out[j].Tag
	})
	return out
}

func notFound(pattern, what string) error {
	if storage.IsGlob(pattern) {
		return fmt.Errorf("%w: %s glob %q matches no %s", storage.ErrNoMatch, what, pattern, what)
	}
	return fmt.Errorf("%w: no %s %q", storage.ErrNotFound, what, pattern)
}
