package retention

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/pulls"
	"github.com/regprune/regprune/storage"
)

// useDigest is a digest of its own for each name.
func useDigest(name string) storage.Digest {
	var d storage.Digest
	copy(d[:], name)
	d[31] = byte(len(name))
	return d
}

// useTags is the registry the rules by use judge: app has images pulled
// by tag, by digest and through an index, and versions; web has two
// platforms' children pulled by digest.
func useTags() []storage.Tag {
	day := 24 * time.Hour
	tag := func(repo, name string, age time.Duration) storage.Tag {
		return storage.Tag{Repository: repo, Name: name, Digest: useDigest(repo + ":" + name), Pushed: retentionNow.Add(-age)}
	}
	return []storage.Tag{
		tag("app", "by-tag", 90*day),    // pulled 3 days ago by tag
		tag("app", "by-digest", 90*day), // pulled 10 days ago by digest
		tag("app", "by-child", 90*day),  // an index whose child was pulled 20 days ago
		tag("app", "stale", 90*day),     // pulled 45 days ago
		tag("app", "never", 90*day),     // never pulled
		tag("app", "fresh", 2*day),      // never pulled, pushed 2 days ago
		tag("app", "unreadable", 90*day),
		tag("app", "v1.0.0", 100*day),
		tag("app", "v1.1.0", 80*day),
		tag("app", "v1.2.0-rc.1", 70*day),
		tag("app", "v1.2.0", 60*day),
		tag("app", "2.0.0-alpha", 50*day),
		tag("app", "sha256-"+strings.Repeat("cd", 32), 90*day),
		tag("web", "amd", 40*day),
		tag("web", "multi", 40*day),
		tag("web", "old", 40*day),
	}
}

// useFixture is the evidence about useTags: the pull history (covering
// from coverFrom to now), children of the indexes, and one list of images
// in use.
func useFixture(t *testing.T, coverFrom time.Duration) Use {
	t.Helper()
	day := 24 * time.Hour
	h := pulls.New()
	at := func(age time.Duration) time.Time { return retentionNow.Add(-age) }
	h.Add(pulls.Event{Repository: "app", Tag: "by-tag", Time: at(3 * day)})
	h.Add(pulls.Event{Repository: "app", Digest: useDigest("app:by-digest"), Time: at(10 * day)})
	h.Add(pulls.Event{Repository: "app", Digest: useDigest("child-of-by-child"), Time: at(20 * day)})
	h.Add(pulls.Event{Repository: "app", Tag: "stale", Time: at(45 * day)})
	h.Add(pulls.Event{Repository: "app", Tag: "v1.0.0", Time: at(time.Hour)})
	h.Add(pulls.Event{Repository: "web", Digest: useDigest("web-amd64"), Time: at(5 * day)})
	h.Cover(pulls.Range{Start: at(coverFrom), End: at(10 * time.Minute)})
	refs, invalid, err := ParseImageRefs(strings.NewReader(
		"registry.example.com/app:never\n"+
			"registry.example.com/web@"+useDigest("web-arm64").String()+" other.example.com/app:v1.1.0\n"), "pods.txt")
	if err != nil || len(invalid) > 0 {
		t.Fatal(err, invalid)
	}
	return Use{
		Pulls: h,
		Slack: time.Hour,
		Refs:  map[string]*ImageRefSet{"pods.txt": NewImageRefSet(refs, "registry.example.com")},
		Children: map[string]Children{
			"app:by-child":    {Digests: []storage.Digest{useDigest("child-of-by-child")}},
			"app:by-tag":      {},
			"app:by-digest":   {},
			"app:stale":       {},
			"app:never":       {},
			"app:fresh":       {},
			"app:unreadable":  {Err: fmt.Errorf("index %s: child manifest %s: %w", useDigest("app:unreadable"), useDigest("x"), storage.ErrNotFound)},
			"app:v1.0.0":      {},
			"app:v1.1.0":      {},
			"app:v1.2.0-rc.1": {},
			"app:v1.2.0":      {},
			"app:2.0.0-alpha": {},
			"web:amd":         {},
			"web:multi":       {Digests: []storage.Digest{useDigest("web-amd64"), useDigest("web-arm64")}},
			"web:old":         {},
		},
	}
}

func mustPolicy(t *testing.T, text string) []Rule {
	t.Helper()
	rules, err := ParsePolicy("policy.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return rules
}

// stale is h with its coverage cut short: up to the given age before now.
func stale(h *pulls.History, age time.Duration) *pulls.History {
	out := pulls.New()
	for _, repo := range h.Repositories() {
		for _, p := range h.Pulls(repo) {
			out.Add(pulls.Event{Repository: repo, Tag: p.Tag, Digest: p.Digest, Time: p.Time})
		}
	}
	for _, r := range h.Coverage() {
		end := retentionNow.Add(-age)
		if r.End.Before(end) {
			end = r.End
		}
		if r.Start.Before(end) {
			out.Cover(pulls.Range{Start: r.Start, End: end})
		}
	}
	return out
}

func TestSelectUse(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	re := mustPattern
	cases := []struct {
		name      string
		coverFrom time.Duration
		rules     []Rule
		drop      func(*Use)
	}{
		{"pulled-within-30d", 60 * day, []Rule{{Name: "used", KeepPulledWithin: 30 * day}}, nil},
		{"pulled-within-partial", 15 * day, []Rule{{Name: "used", KeepPulledWithin: 30 * day}}, nil},
		{"pulled-within-stale", 60 * day, []Rule{{Name: "used", KeepPulledWithin: 30 * day}}, func(u *Use) {
			u.Pulls.Cover(pulls.Range{Start: retentionNow.Add(-90 * day), End: retentionNow.Add(-80 * day)})
			u.Pulls = stale(u.Pulls, 7*day)
		}},
		{"no-history", 60 * day, []Rule{{Name: "used", KeepPulledWithin: 30 * day}}, func(u *Use) { u.Pulls = nil }},
		{"last-pulled-2", 60 * day, []Rule{{Name: "recent2", KeepLastPulled: 2}}, nil},
		{"semver-2", 60 * day, []Rule{{Name: "versions", Tags: re(`.*\d.*`), KeepSemver: 2}}, nil},
		{"keep-refs", 60 * day, []Rule{{Name: "inuse", KeepRefs: []string{"pods.txt"}}}, nil},
		{"keep-refs-not-given", 60 * day, []Rule{{Name: "inuse", KeepRefs: []string{"pods.txt", "other.txt"}}}, nil},
		{"children-not-read", 60 * day, []Rule{{Name: "used", KeepPulledWithin: 30 * day}}, func(u *Use) { u.Children = nil }},
		{"combined", 60 * day, []Rule{{Name: "all", KeepLast: 1, OlderThan: 75 * day, KeepPulledWithin: 14 * day,
			KeepSemver: 1, KeepRefs: []string{"pods.txt"}}}, nil},
		{"policy", 60 * day, mustPolicy(t, `
- repositories: web
  keep_last_pulled: 1
  keep_refs: pods.txt
- repositories: app
  tags: v.*
  keep_semver: 1
  keep_pulled_within: 2w
  older_than: 65d
`), nil},
		{"per-repository", 60 * day, []Rule{
			{Name: "web-used", Repositories: []string{"web"}, KeepLastPulled: 1},
			{Name: "app-old", OlderThan: 85 * day},
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			use := useFixture(t, c.coverFrom)
			if c.drop != nil {
				c.drop(&use)
			}
			ds := SelectUse(useTags(), c.rules, retentionNow, use)
			for _, d := range ds {
				if d.Reason == "" {
					t.Errorf("%s: no reason", d.Tag.Ref())
				}
				if _, ref := storage.ReferrerSubject(d.Tag.Name); ref && d.Remove {
					t.Errorf("%s removed", d.Tag.Ref())
				}
			}
			assertGolden(t, "use/"+c.name+".golden", renderDecisions(c.rules, ds))
		})
	}
}

// TestSelectUseKeepsWhatItCannotJudge: whatever the rules by use, a tag
// whose index cannot be read, a tag of a repository whose children were
// not given, a list of images not given, keep their tags.
func TestSelectUseKeepsWhatItCannotJudge(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	for _, rule := range []Rule{
		{Name: "p", KeepPulledWithin: day},
		{Name: "l", KeepLastPulled: 1},
		{Name: "r", KeepRefs: []string{"pods.txt"}},
	} {
		use := useFixture(t, 60*day)
		delete(use.Children, "app:never")
		if len(rule.KeepRefs) > 0 { // a reference by digest in app: its children matter
			refs, _, _ := ParseImageRefs(strings.NewReader("app@"+useDigest("elsewhere").String()), "pods.txt")
			use.Refs["pods.txt"] = NewImageRefSet(refs, "")
		}
		for _, d := range SelectUse(useTags(), []Rule{rule}, retentionNow, use) {
			switch d.Tag.Ref() {
			case "app:unreadable":
				if d.Remove || !strings.Contains(d.Reason, "unreadable") {
					t.Errorf("rule %s: %s: %v %q", rule.Name, d.Tag.Ref(), d.Remove, d.Reason)
				}
			case "app:never":
				if d.Remove {
					t.Errorf("rule %s: %s removed without its children: %q", rule.Name, d.Tag.Ref(), d.Reason)
				}
			}
		}
	}
}

func TestNeedsChildren(t *testing.T) {
	t.Parallel()
	use := useFixture(t, 60*24*time.Hour)
	rules := []Rule{
		{Name: "plain", Repositories: []string{"plain"}, KeepLast: 1},
		{Name: "pulls", Repositories: []string{"app", "nodigest"}, KeepLastPulled: 1},
		{Name: "refs", KeepRefs: []string{"pods.txt"}},
	}
	use.Pulls.Add(pulls.Event{Repository: "nodigest", Tag: "x", Time: retentionNow})
	for repo, want := range map[string]bool{"plain": false, "app": true, "nodigest": false, "web": true, "other": false} {
		if got := NeedsChildren(repo, rules, use); got != want {
			t.Errorf("NeedsChildren(%s) = %v, want %v", repo, got, want)
		}
	}
}

func TestCheckCoverage(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	at := func(age time.Duration) time.Time { return retentionNow.Add(-age) }
	history := func(rs ...pulls.Range) *pulls.History {
		h := pulls.New()
		h.Cover(rs...)
		return h
	}
	within := []Rule{{Name: "w", Repositories: []string{"app"}, KeepPulledWithin: 30 * day}}
	last := []Rule{{Name: "l", KeepLastPulled: 3}}
	cases := []struct {
		name  string
		rules []Rule
		h     *pulls.History
		want  string // "" for no error
	}{
		{"covered", within, history(pulls.Range{Start: at(31 * day), End: at(time.Minute)}), ""},
		{"rotated logs a few seconds apart", within, history(pulls.Range{Start: at(31 * day), End: at(10 * day)},
			pulls.Range{Start: at(10*day - 5*time.Second), End: at(30 * time.Minute)}), ""},
		{"starts later", within, history(pulls.Range{Start: at(10 * day), End: at(time.Minute)}),
			"not covered at 2024-05-02T12:00:00Z (its coverage reaching now starts 2024-05-22T12:00:00Z)"},
		{"a gap", within, history(pulls.Range{Start: at(40 * day), End: at(20 * day)}, pulls.Range{Start: at(19 * day), End: at(time.Minute)}),
			"not covered at 2024-05-12T12:00:01Z (its coverage reaching now starts 2024-05-13T12:00:00Z)"},
		{"stale", within, history(pulls.Range{Start: at(40 * day), End: at(2 * time.Hour)}),
			"not covered from 2024-06-01T10:00:01Z on"},
		{"empty", within, pulls.New(), "and no recorded log covers any time"},
		{"none", within, nil, "and no recorded log covers any time"},
		{"rule of no repository", append([]Rule{{Name: "x", Repositories: []string{"other"}, KeepPulledWithin: 90 * day}}, within...),
			history(pulls.Range{Start: at(31 * day), End: at(time.Minute)}), ""},
		{"last pulled, current", last, history(pulls.Range{Start: at(day), End: at(time.Minute)}), ""},
		{"last pulled, stale", last, history(pulls.Range{Start: at(40 * day), End: at(3 * time.Hour)}),
			"the time up to now for keep_last_pulled 3, but it is not covered from 2024-06-01T09:00:01Z on"},
		{"no pull rule", []Rule{{Name: "k", KeepLast: 1}}, nil, ""},
	}
	for _, c := range cases {
		err := CheckCoverage(c.rules, []string{"app", "web"}, c.h, retentionNow, time.Hour)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && err == nil:
			t.Errorf("%s: no error, want %q", c.name, c.want)
		case c.want != "":
			var ce *CoverageError
			if !errors.Is(err, storage.ErrPartialHistory) || !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: %v\nwant a *CoverageError saying %q", c.name, err, c.want)
			}
		}
	}
}

// TestSelectUsePure: SelectUse reads its evidence and changes nothing.
func TestSelectUsePure(t *testing.T) {
	t.Parallel()
	use := useFixture(t, 60*24*time.Hour)
	var before bytes.Buffer
	if err := use.Pulls.Encode(&before); err != nil {
		t.Fatal(err)
	}
	rules := []Rule{{Name: "x", KeepLastPulled: 2, KeepPulledWithin: time.Hour, KeepRefs: []string{"pods.txt"}, KeepSemver: 1}}
	a := renderDecisions(rules, SelectUse(useTags(), rules, retentionNow, use))
	b := renderDecisions(rules, SelectUse(useTags(), rules, retentionNow, use))
	var after bytes.Buffer
	if err := use.Pulls.Encode(&after); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) || !bytes.Equal(before.Bytes(), after.Bytes()) {
		t.Error("SelectUse is not repeatable, or changed the history")
	}
}
