package storage

import (
	"fmt"
	"regexp"
	"strings"

	newreference "github.com/distribution/reference"
	"github.com/docker/distribution/reference"
)

var (
	anchoredName   = regexp.MustCompile(`^(?:` + reference.NameRegexp.String() + `)$`)
	anchoredTag    = regexp.MustCompile(`^(?:` + reference.TagRegexp.String() + `)$`)
	anchoredDomain = regexp.MustCompile(`^(?:` + newreference.DomainRegexp.String() + `)$`) // IPv6 too
)

// SplitHost splits an image name as docker reads it into the registry
// host it starts with and the rest: the first of several '/'-separated
// components is a host when it holds a '.' or a ':', is "localhost", or
// holds an upper-case letter (no repository name does). A name of one
// component has no host, nor has a name whose first component is a glob
// ("*.io/app": glob characters other than an IPv6 address's brackets). The
// host is not otherwise checked: ValidHost does.
func SplitHost(name string) (host, rest string) {
	first, rest, ok := strings.Cut(name, "/")
	if !ok || IsGlob(first) && ValidHost(first) != nil {
		return "", name
	}
	if strings.ContainsAny(first, ".:") || first == "localhost" || strings.ToLower(first) != first {
		return first, rest
	}
	return "", name
}

// ValidHost checks a registry host (name or IP address, with an optional
// port) against distribution's grammar.
func ValidHost(host string) error {
	if !anchoredDomain.MatchString(host) {
		return fmt.Errorf("%w: registry host %q is not a valid host name or address", ErrBadName, host)
	}
	return nil
}

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
