package storage

import (
	"fmt"
	"path"
	"strings"
)

// globChars are the characters that make a name a shell-style glob.
const globChars = `*?[\`

// IsGlob reports whether s holds any glob metacharacter.
func IsGlob(s string) bool { return strings.ContainsAny(s, globChars) }

// MatchGlob matches name against a shell-style glob with path.Match
// semantics: * and ? never cross '/', so "team/*" matches "team/app" but
// not "team/app/api". A malformed glob matches nothing.
func MatchGlob(glob, name string) bool {
	ok, err := path.Match(glob, name)
	return err == nil && ok
}

// CheckRepositoryPattern checks a repository name (against the grammar) or
// glob (its syntax, and no path component that could leave the
// repositories directory); errors wrap ErrBadName.
func CheckRepositoryPattern(g string) error {
	if !IsGlob(g) {
		return ValidRepository(g)
	}
	if _, err := path.Match(g, ""); err != nil {
		return fmt.Errorf("%w: repository glob %q: %w", ErrBadName, g, err)
	}
	if strings.HasPrefix(g, "/") {
		return fmt.Errorf("%w: repository glob %q: absolute path", ErrBadName, g)
	}
	for _, c := range strings.Split(g, "/") {
		if c == "" || c == "." || c == ".." || strings.HasPrefix(c, "_") {
			return fmt.Errorf("%w: repository glob %q: path component %q", ErrBadName, g, c)
		}
	}
	return nil
}

// CheckTagPattern checks a tag name (against the grammar) or glob (its
// syntax, and no path traversal); errors wrap ErrBadName.
func CheckTagPattern(g string) error {
	if !IsGlob(g) {
		return ValidTag(g)
	}
	if _, err := path.Match(g, ""); err != nil {
		return fmt.Errorf("%w: tag glob %q: %w", ErrBadName, g, err)
	}
	if g == ".." || strings.Contains(g, "/") {
		return fmt.Errorf("%w: tag glob %q: path traversal", ErrBadName, g)
	}
	return nil
}
