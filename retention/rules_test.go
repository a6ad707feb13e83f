package retention

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/regprune/regprune/storage"
)

var retentionNow = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

// fixtureTags is the registry every retention case selects from.
func fixtureTags() []storage.Tag {
	day := 24 * time.Hour
	subject := strings.Repeat("ab", 32)
	tag := func(repo, name string, age time.Duration) storage.Tag {
		return storage.Tag{Repository: repo, Name: name, Digest: storage.Digest{byte(len(name)), name[0]}, Pushed: retentionNow.Add(-age)}
	}
	broken := storage.Tag{Repository: "app", Name: "broken", LinkErr: fmt.Errorf("%w: current/link", storage.ErrNotFound)}
	return []storage.Tag{
		tag("app", "latest", day),
		tag("app", "v1.0", 100*day),
		tag("app", "v1.1", 60*day),
		tag("app", "v1.2", 10*day),
		tag("app", "pr-1", 20*day),
		tag("app", "pr-2", 8*day),
		tag("app", "pr-3", 2*time.Hour),
		tag("app", "main-abc", 40*day),
		tag("app", "main-def", 40*day),
		tag("app", "skewed", -3*time.Hour),
		tag("app", "sha256-"+subject, 90*day),
		tag("app", "sha256-"+subject+".sig", 90*day),
		broken,
		tag("team/api", "latest", 3*day),
		tag("team/api", "1.0", 400*day),
		tag("team/api", "1.1", 200*day),
		tag("team/api", "nightly-0530", 2*day),
		tag("team/api", "nightly-0520", 12*day),
		tag("team/api/worker", "nightly-0531", day),
		tag("team/api/worker", "nightly-0501", 31*day),
		tag("other", "x", 365*day),
	}
}

func TestSelect(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	re := mustPattern
	cases := []struct {
		name  string
		rules []Rule
	}{
		{"no-rules", nil},
		{"older-than-30d", []Rule{{Name: "old", OlderThan: 30 * day}}},
		{"keep-last-3", []Rule{{Name: "last3", KeepLast: 3}}},
		{"keep-last-3-older-than-30d", []Rule{{Name: "last3-30d", KeepLast: 3, OlderThan: 30 * day}}},
		{"keep-last-more-than-candidates", []Rule{{Name: "last50", KeepLast: 50}}},
		{"tie-broken-by-name", []Rule{{Name: "main1", Repositories: []string{"app"}, Tags: re(`main-.*`), KeepLast: 1}}},
		{"tag-with-exclude", []Rule{{Name: "pr", Tags: re(`pr-.*`), ExcludeTags: []*TagPattern{re(`.*-2`)}, OlderThan: 7 * day}}},
		// Patterns match whole names: "1" matches the tag 1 only (none
		// here), ".*1.*" every tag holding a 1.
		{"whole-name", []Rule{{Name: "is1", Tags: re(`1`)}}},
		{"within-name", []Rule{{Name: "has1", Tags: re(`.*1.*`)}}},
		{"exclude-releases", []Rule{{Name: "dev", ExcludeTags: []*TagPattern{re(`latest`), re(`v?\d+\.\d+`)}, KeepLast: 2}}},
		{"repository-globs", []Rule{
			{Name: "team", Repositories: []string{"team/*"}, OlderThan: 7 * day},
			{Name: "app", Repositories: []string{"ap?"}, KeepLast: 1},
		}},
		{"first-rule-wins", []Rule{
			{Name: "app-keep5", Repositories: []string{"app"}, KeepLast: 5},
			{Name: "rest-1d", OlderThan: day},
		}},
		{"nested-glob", []Rule{{Name: "nested", Repositories: []string{"*/*/*", "other"}, Tags: re(`nightly-.*|x`), OlderThan: 30 * day}}},
		{"tags-only", []Rule{{Name: "nightly", Tags: re(`nightly-.*`)}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ds := Select(fixtureTags(), c.rules, retentionNow)
			checkDecisions(t, ds)
			assertGolden(t, c.name+".golden", renderDecisions(c.rules, ds))
		})
	}
}

// mustPattern compiles a tag pattern of a test.
func mustPattern(s string) *TagPattern {
	p, err := CompileTagPattern(s)
	if err != nil {
		panic(err)
	}
	return p
}

// checkDecisions asserts what holds whatever the rules: one decision per
// tag, sorted, never removing referrer tags or tags without a link.
func checkDecisions(t *testing.T, ds []Decision) {
	t.Helper()
	if len(ds) != len(fixtureTags()) {
		t.Fatalf("%d decisions for %d tags", len(ds), len(fixtureTags()))
	}
	for i, d := range ds {
		if p := ds[max(i-1, 0)].Tag; i > 0 && !(p.Repository < d.Tag.Repository || p.Repository == d.Tag.Repository && p.Name < d.Tag.Name) {
			t.Errorf("decisions not sorted: %s after %s", d.Tag.Ref(), ds[i-1].Tag.Ref())
		}
		if _, ref := storage.ReferrerSubject(d.Tag.Name); d.Remove && (ref || d.Tag.LinkErr != nil) {
			t.Errorf("%s removed: %s", d.Tag.Ref(), d.Reason)
		}
		if d.Reason == "" {
			t.Errorf("%s: no reason", d.Tag.Ref())
		}
	}
}

// renderDecisions writes the rules, then one line per decision.
func renderDecisions(rules []Rule, ds []Decision) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# now %s\n", retentionNow.Format(time.RFC3339))
	for _, r := range rules {
		fmt.Fprintf(&b, "# rule %s: repositories=%q tags=%v exclude=%v older_than=%s keep_last=%d",
			r.Name, r.Repositories, r.Tags, r.ExcludeTags, FormatAge(r.OlderThan), r.KeepLast)
		if r.KeepPulledWithin > 0 || r.KeepLastPulled > 0 || r.KeepSemver > 0 || len(r.KeepRefs) > 0 {
			fmt.Fprintf(&b, " keep_pulled_within=%s keep_last_pulled=%d keep_semver=%d keep_refs=%q",
				FormatAge(r.KeepPulledWithin), r.KeepLastPulled, r.KeepSemver, r.KeepRefs)
		}
		b.WriteByte('\n')
	}
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, d := range ds {
		verdict, pushed := "keep", "-"
		if d.Remove {
			verdict = "remove"
		}
		if !d.Tag.Pushed.IsZero() {
			pushed = d.Tag.Pushed.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", verdict, d.Tag.Ref(), pushed, orDash(d.Rule), d.Reason)
	}
	w.Flush()
	return b.Bytes()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// TestSelectPure: Select neither changes its input nor depends on its order.
func TestSelectPure(t *testing.T) {
	t.Parallel()
	rules := []Rule{{Name: "r", KeepLast: 2, OlderThan: 24 * time.Hour}}
	in := fixtureTags()
	rev := make([]storage.Tag, len(in))
	for i, tg := range in {
		rev[len(in)-1-i] = tg
	}
	a := renderDecisions(rules, Select(in, rules, retentionNow))
	b := renderDecisions(rules, Select(rev, rules, retentionNow))
	if !bytes.Equal(a, b) {
		t.Errorf("order of input changes the decisions:\n%s\n%s", a, b)
	}
	if fmt.Sprint(in) != fmt.Sprint(fixtureTags()) {
		t.Error("Select changed its input")
	}
	if Select(nil, rules, retentionNow) == nil {
		t.Error("Select(nil) = nil, want empty")
	}
}

// TestGoverned: the repositories some rule governs, in their order; none
// without rules.
func TestGoverned(t *testing.T) {
	t.Parallel()
	repos := []string{"app", "other", "team/api", "team/api/worker"}
	rules := []Rule{{Name: "team", Repositories: []string{"team/*"}}, {Name: "app", Repositories: []string{"app"}}}
	if got := fmt.Sprint(Governed(repos, rules)); got != "[app team/api]" {
		t.Errorf("Governed = %s, want [app team/api]", got)
	}
	if got := Governed(repos, []Rule{{Name: "all"}}); len(got) != len(repos) {
		t.Errorf("a rule without repositories governs %v, want all", got)
	}
	if got := Governed(repos, nil); len(got) != 0 {
		t.Errorf("no rules govern %v", got)
	}
}
