package cli

import (
	"fmt"
	"strings"

	"github.com/regprune/regprune/retention"
)

// nearMissWarnings says, for each exclusion pattern that matches tags of
// the run only within their name, that those tags go: tag patterns match
// whole names, and an --exclude-tag release written for names holding
// "release" keeps release only.
func nearMissWarnings(misses []retention.NearMiss) []string {
	var out []string
	for _, m := range misses {
		shown := m.Tags
		more := ""
		if len(shown) > 3 {
			shown, more = shown[:3], fmt.Sprintf(" and %d more", len(m.Tags)-3)
		}
		out = append(out, fmt.Sprintf("rule %s: exclusion %q matches whole tag names only, so it does not keep %s%s "+
			"(matched within the name): removed; write %q to keep such tags",
			m.Rule, m.Pattern, strings.Join(shown, ", "), more, withinName(m.Pattern)))
	}
	return out
}

// withinName is a pattern matching whole names that hold a match of expr,
// as expr matched before patterns matched whole names: ^v1 gives v1.*,
// -rc$ .*-rc, release .*release.*.
func withinName(expr string) string {
	prefix, suffix := ".*", ".*"
	if s, ok := strings.CutPrefix(expr, "^"); ok {
		expr, prefix = s, ""
	}
	if s, ok := strings.CutSuffix(expr, "$"); ok && !strings.HasSuffix(s, `\`) {
		expr, suffix = s, ""
	}
	if strings.Contains(expr, "|") {
		expr = "(?:" + expr + ")"
	}
	return prefix + expr + suffix
}
