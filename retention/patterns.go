package retention

import (
	"fmt"
	"regexp"
)

// TagPattern is a tag regular expression (Go syntax) that matches whole
// tag names, as GitLab's cleanup policies do: "T4.*" matches T4 and T41,
// never aT4; "pr-" matches the tag pr- only. A leading ^ and a trailing $
// are implied (and harmless when written).
type TagPattern struct {
	expr   string
	whole  *regexp.Regexp // ^(?:expr)$
	within *regexp.Regexp // expr, matching anywhere (for NearMisses)
}

// CompileTagPattern compiles a tag pattern. The error names the
// expression; callers wrap it with their sentinel.
func CompileTagPattern(s string) (*TagPattern, error) {
	within, err := regexp.Compile(s)
	if err != nil {
		return nil, fmt.Errorf("tag regular expression %q: %w", s, err)
	}
	return &TagPattern{expr: s, whole: regexp.MustCompile(`^(?:` + s + `)$`), within: within}, nil
}

// MatchString reports whether the pattern matches the whole tag name.
func (p *TagPattern) MatchString(tag string) bool { return p.whole.MatchString(tag) }

// String is the expression as written.
func (p *TagPattern) String() string { return p.expr }

// NearMiss is an exclusion pattern that does not keep tags it would
// have kept if it matched anywhere in the name (as it did before patterns
// matched whole names): those tags go, and an operator may not mean it.
type NearMiss struct {
	Rule    string
	Pattern string
	Tags    []string // repository:tag, removed
}

// NearMisses lists, for every exclusion pattern of the rules, the tags
// Select removes that the pattern matches only within their name
// ("release" and release-1.2).
func NearMisses(ds []Decision, rules []Rule) []NearMiss {
	var out []NearMiss
	at := make(map[[2]string]int) // rule name, pattern -> index in out
	for _, d := range ds {
		if !d.Remove {
			continue
		}
		rule, ok := governing(d.Tag.Repository, rules)
		if !ok {
			continue
		}
		for _, x := range rule.ExcludeTags {
			if !x.within.MatchString(d.Tag.Name) {
				continue
			}
			k := [2]string{rule.Name, x.expr}
			i, seen := at[k]
			if !seen {
				i = len(out)
				at[k] = i
				out = append(out, NearMiss{Rule: rule.Name, Pattern: x.expr})
			}
			out[i].Tags = append(out[i].Tags, d.Tag.Ref())
		}
	}
	return out
}
