package retention

import (
	"reflect"
	"testing"
	"time"

	"github.com/regprune/regprune/storage"
)

// TestTagPatternMatchesWholeNames: a tag pattern matches the whole tag
// name (GitLab's cleanup policies do the same); anchors stay harmless.
func TestTagPatternMatchesWholeNames(t *testing.T) {
	t.Parallel()
	cases := []struct {
		expr       string
		match, not []string
	}{
		{"T4*", []string{"T", "T4", "T44"}, []string{"T41", "aT4", "T12"}}, // a regular expression, not a glob
		{"T4.*", []string{"T4", "T41", "T4-x"}, []string{"aT4", "T3"}},
		{"pr-", []string{"pr-"}, []string{"pr-1", "apr-"}},
		{"pr-[0-9]+", []string{"pr-1", "pr-42"}, []string{"pr-1a", "xpr-1"}},
		{"^latest$", []string{"latest"}, []string{"latest2", "notlatest"}},
		{"^v1", []string{"v1"}, []string{"v10", "v1.0"}},
		{"a|b", []string{"a", "b"}, []string{"ab", "xa", "bx"}}, // the alternation is anchored as a whole
		{".*", []string{"x", "v1.0"}, nil},
	}
	for _, c := range cases {
		p, err := CompileTagPattern(c.expr)
		if err != nil {
			t.Fatal(err)
		}
		if p.String() != c.expr {
			t.Errorf("String() = %q, want %q as written", p, c.expr)
		}
		for _, tag := range c.match {
			if !p.MatchString(tag) {
				t.Errorf("%q does not match %q", c.expr, tag)
			}
		}
		for _, tag := range c.not {
			if p.MatchString(tag) {
				t.Errorf("%q matches %q", c.expr, tag)
			}
		}
	}
	if _, err := CompileTagPattern("a(b"); err == nil {
		t.Error("a(b compiled")
	}
}

// TestNearMisses: tags an exclusion pattern matches only within their
// name, and that therefore go, are listed per rule and pattern.
func TestNearMisses(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	var tags []storage.Tag
	for _, n := range []string{"release", "release-1.2", "release-1.3", "v1", "v10", "main"} {
		tags = append(tags, storage.Tag{Repository: "app", Name: n, Digest: storage.Digest{byte(len(n))}, Pushed: now.Add(-time.Hour)})
	}
	tags = append(tags, storage.Tag{Repository: "other", Name: "release-9", Digest: storage.Digest{1}, Pushed: now})
	rules := []Rule{
		{Name: "app", Repositories: []string{"app"}, ExcludeTags: []*TagPattern{mustPattern("release"), mustPattern("v1"), mustPattern("main")}},
		{Name: "rest", ExcludeTags: []*TagPattern{mustPattern("release-.*")}},
	}
	got := NearMisses(Select(tags, rules, now), rules)
	want := []NearMiss{
		{Rule: "app", Pattern: "release", Tags: []string{"app:release-1.2", "app:release-1.3"}},
		{Rule: "app", Pattern: "v1", Tags: []string{"app:v10"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("NearMisses = %+v\nwant %+v", got, want)
	}
}
