package retention

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Semver is a tag read as a semantic version (semver.org, 2.0.0):
// MAJOR.MINOR.PATCH, optionally -PRERELEASE and +BUILD, behind an optional
// "v" ("v1.2.3" and "1.2.3" are the same version).
//
// What is not a version per the specification is not one here: "1.2",
// "v1", "latest", "1.2.3.4", "01.2.3". A two-part tag is most often a
// floating tag (nginx:1.25 follows the newest 1.25.x); read as 1.25.0 it
// would rank below 1.25.3 and go first, while it names the newest image.
// A suffix after a hyphen is a pre-release, as the specification says, so
// 1.25.3-alpine ranks below 1.25.3: a repository that keeps variants should
// give each its own rule (a tag pattern per variant). A tag cannot hold
// "+" (distribution's tag grammar), so build metadata never occurs in
// tags; it is read, and ignored for order, all the same.
type Semver struct {
	Major, Minor, Patch string   // decimal, without leading zeros
	Pre                 []string // pre-release identifiers; none for a release
	Build               string   // build metadata, without its "+"
}

// ParseSemver reads a tag as a semantic version; false when it is none.
func ParseSemver(tag string) (Semver, bool) {
	var v Semver
	s := strings.TrimPrefix(tag, "v")
	s, v.Build, _ = strings.Cut(s, "+")
	if strings.Contains(tag, "+") && !semverIdentifiers(v.Build, false) {
		return Semver{}, false
	}
	core, pre, hasPre := strings.Cut(s, "-")
	if hasPre {
		if !semverIdentifiers(pre, true) {
			return Semver{}, false
		}
		v.Pre = strings.Split(pre, ".")
	}
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return Semver{}, false
	}
	for _, p := range parts {
		if !semverNumeric(p) {
			return Semver{}, false
		}
	}
	v.Major, v.Minor, v.Patch = parts[0], parts[1], parts[2]
	return v, true
}

// semverIdentifiers checks dot-separated identifiers of [0-9A-Za-z-], none
// empty; in a pre-release, a numeric one has no leading zero.
func semverIdentifiers(s string, pre bool) bool {
	for id := range strings.SplitSeq(s, ".") {
		if id == "" {
			return false
		}
		digitsOnly := true
		for _, c := range []byte(id) {
			switch {
			case c >= '0' && c <= '9':
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-':
				digitsOnly = false
			default:
				return false
			}
		}
		if pre && digitsOnly && !semverNumeric(id) {
			return false
		}
	}
	return true
}

// semverNumeric: "0", or digits without a leading zero.
func semverNumeric(s string) bool {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// String is the version without a "v" ("1.2.3-rc.1+build.5").
func (v Semver) String() string {
	s := v.Major + "." + v.Minor + "." + v.Patch
	if len(v.Pre) > 0 {
		s += "-" + strings.Join(v.Pre, ".")
	}
	if v.Build != "" {
		s += "+" + v.Build
	}
	return s
}

// Compare orders versions by precedence (semver.org, item 11): -1, 0 or
// +1. Numbers compare as numbers of any size; a pre-release ranks below
// its release; pre-release identifiers compare one by one, numeric ones
// numerically and below alphanumeric ones, these in ASCII order, and a
// longer list above its prefix. Build metadata does not count.
func (v Semver) Compare(w Semver) int {
	for _, c := range [...]int{semverNumbers(v.Major, w.Major), semverNumbers(v.Minor, w.Minor), semverNumbers(v.Patch, w.Patch)} {
		if c != 0 {
			return c
		}
	}
	switch {
	case len(v.Pre) == 0 && len(w.Pre) == 0:
		return 0
	case len(v.Pre) == 0:
		return 1
	case len(w.Pre) == 0:
		return -1
	}
	for i := 0; i < len(v.Pre) && i < len(w.Pre); i++ {
		if c := semverIdentifierOrder(v.Pre[i], w.Pre[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(v.Pre), len(w.Pre))
}

// semverNumbers compares decimals without leading zeros, of any length.
func semverNumbers(a, b string) int {
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func semverIdentifierOrder(a, b string) int {
	an, bn := semverNumeric(a), semverNumeric(b)
	switch {
	case an && bn:
		return semverNumbers(a, b)
	case an:
		return -1
	case bn:
		return 1
	}
	return strings.Compare(a, b)
}

// SemverVerdict is what KeepSemver says of one tag.
type SemverVerdict struct {
	Keep   bool
	Reason string // "among the 5 highest versions", "below the 5 highest versions", "not a semantic version"

}

// KeepSemver keeps, of the candidate tags of one repository, those among
// the n highest versions (none when n < 1); the verdicts come in the order
// of tags. Tags
// that are no versions do not count toward n and are not kept by this
// rule. Tags of equal precedence ("v1.2.3" and "1.2.3") are one version:
// kept or not together.
func KeepSemver(tags []string, n int) []SemverVerdict {
	out := make([]SemverVerdict, len(tags))
	type version struct {
		v Semver
		i int
	}
	var vs []version
	for i, tag := range tags {
		v, ok := ParseSemver(tag)
		if !ok {
			out[i].Reason = "not a semantic version"
			continue
		}
		vs = append(vs, version{v, i})
	}
	slices.SortStableFunc(vs, func(a, b version) int { return b.v.Compare(a.v) })
	rank := 0
	for j, v := range vs {
		if j == 0 || v.v.Compare(vs[j-1].v) != 0 {
			rank++
		}
		switch {
		case rank <= n && n == 1:
			out[v.i] = SemverVerdict{Keep: true, Reason: "the highest version"}
		case rank <= n:
			out[v.i] = SemverVerdict{Keep: true, Reason: "among " + semverHighest(n)}
		default:
			out[v.i].Reason = "below " + semverHighest(n)
		}
	}
	return out
}

// semverHighest is "the 5 highest versions", "the highest version".
func semverHighest(n int) string {
	if n == 1 {
		return "the highest version"
	}
	return fmt.Sprintf("the %d highest versions", n)
}
