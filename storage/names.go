package storage

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/docker/distribution/reference"
)

var (
	anchoredName = regexp.MustCompile(`^(?:` + reference.NameRegexp.String() + `)$`)
	anchoredTag  = regexp.MustCompile(`^(?:` + reference.TagRegexp.String() + `)$`)
)

// ValidRepository checks a repository name against distribution's reference
// grammar and refuses anything that could leave the repositories directory.
func ValidRepository(name string) error {
	if err := safePath(name); err != nil {
		return fmt.Errorf("%w: repository %q: %w", ErrBadName, name, err)
	}
	if len(name) > 255 || !anchoredName.MatchString(name) {
		return fmt.Errorf("%w: repository %q is not a valid repository name", ErrBadName, name)
	}
	return nil
}

// ValidTag checks a tag name against distribution's grammar
// ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}).
func ValidTag(tag string) error {
	if !anchoredTag.MatchString(tag) {
		return fmt.Errorf("%w: tag %q is not a valid tag name", ErrBadName, tag)
	}
	return nil
}

// safePath refuses absolute names, empty, "." and ".." components, and
// components starting with "_" (the registry's own directories).
func safePath(name string) error {
	if name == "" {
		return fmt.Errorf("empty name")
	}
	if strings.HasPrefix(name, "/") {
		return fmt.Errorf("absolute path")
	}
	for _, c := range strings.Split(name, "/") {
		switch {
		case c == "" || c == "." || c == "..":
			return fmt.Errorf("path component %q", c)
		case strings.HasPrefix(c, "_"):
			return fmt.Errorf("component %q starts with _ (reserved by the registry)", c)
		}
	}
	return nil
}
