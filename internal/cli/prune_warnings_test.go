package cli

import (
	"regexp"
	"testing"
)

func TestWithinName(t *testing.T) {
	t.Parallel()
	for expr, want := range map[string]string{
		"release": ".*release.*", "^v1": "v1.*", "-rc$": ".*-rc", "^x$": "x", `a\$`: `.*a\$.*`, "a|b": ".*(?:a|b).*",
	} {
		got := withinName(expr)
		if got != want {
			t.Errorf("withinName(%q) = %q, want %q", expr, got, want)
		}
		// Whole-name matching of the suggestion is unanchored matching of expr.
		unanchored, whole := regexp.MustCompile(expr), regexp.MustCompile("^(?:"+got+")$")
		for _, tag := range []string{"release", "release-1", "x-release", "v1", "v10", "xv1", "a-rc", "a-rc1", "x", "xa", "b", "a$"} {
			if unanchored.MatchString(tag) != whole.MatchString(tag) {
				t.Errorf("%q on %q: %v, its suggestion %q: %v", expr, tag, unanchored.MatchString(tag), got, whole.MatchString(tag))
			}
		}
	}
}
