// Package retention decides which tags go: rules by repository, tag name,
// age and count, and the policy files that hold them, as pure functions of
// the tags read from the storage (storage.Tag) and the time. It reads and
// changes nothing; scan reads the tags, the commands remove what it chose.
package retention

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/regprune/regprune/storage"
)

// Rule is one retention rule: which repositories it governs and, in each,
// which tags it removes.
//
// A tag is a candidate when its whole name matches Tags (every tag when
// nil) and none of ExcludeTags (see TagPattern). Of the candidates of one
// repository, the keep rules each keep some, and a candidate any of them
// keeps stays: the KeepLast most recently pushed (ties broken by name),
// and, judged by use (see use.go), those in use (KeepRefs), pulled within
// KeepPulledWithin, among the KeepLastPulled most recently pulled, or
// among the KeepSemver highest versions. Of the rest, those pushed more
// than OlderThan ago are removed (all of them when OlderThan is zero).
type Rule struct {
	Name         string        // how reports name the rule
	Repositories []string      // globs (MatchGlob: * stops at /); none: every repository
	Tags         *TagPattern   // nil: every tag
	ExcludeTags  []*TagPattern // a tag matching any of these is kept
	OlderThan    time.Duration // 0: no age limit
	KeepLast     int           // 0: no count kept

	KeepPulledWithin time.Duration // 0: no such rule; keeps tags pulled (or pushed) within it
	KeepLastPulled   int           // 0: no such rule; keeps the N most recently pulled
	KeepSemver       int           // 0: no such rule; keeps the N highest semantic versions
	KeepRefs         []string      // lists of images in use, by name (Use.Refs); none: no such rule
}

// Limited says whether the rule limits what it removes: by tag name, age,
// count, or use. A rule that does not removes every tag of its
// repositories.
func (r Rule) Limited() bool {
	return r.Tags != nil || r.OlderThan > 0 || r.KeepLast > 0 || r.KeepPulledWithin > 0 ||
		r.KeepLastPulled > 0 || r.KeepSemver > 0 || len(r.KeepRefs) > 0
}

// Governs reports whether the rule applies to repository repo.
func (r Rule) Governs(repo string) bool {
	if len(r.Repositories) == 0 {
		return true
	}
	for _, g := range r.Repositories {
		if storage.MatchGlob(g, repo) {
			return true
		}
	}
	return false
}

// Decision is what Select decided for one tag, and why.
type Decision struct {
	Tag    storage.Tag
	Remove bool
	Rule   string // the rule governing the tag's repository; "" when none
	Reason string // for people: why the tag goes or stays
}

// Select decides, for every tag, whether retention removes it. It is a pure
// function of its arguments: tags with their push times, the rules (the
// first rule that governs a repository applies to all its tags), and now.
//
// Tags are never removed when no rule governs their repository, when they
// are referrer tags (sha256-<hex>[.sig|.att|.sbom]: they follow their
// subject, gc removes them with it), or when their current link is missing
// or bad (Tag.LinkErr: no push time to judge, nothing a pull could get;
// check reports them). The decisions come sorted by repository, then tag.
func Select(tags []storage.Tag, rules []Rule, now time.Time) []Decision {
	return SelectUse(tags, rules, now, Use{})
}

// SelectUse is Select with the evidence of use the rules by use judge by
// (see use.go). It is as pure as Select: use is only read.
func SelectUse(tags []storage.Tag, rules []Rule, now time.Time, use Use) []Decision {
	sorted := append([]storage.Tag(nil), tags...)
	sort.Slice(sorted, func(i, j int) bool { return tagLess(sorted[i], sorted[j]) })
	out := make([]Decision, 0, len(sorted))
	for start := 0; start < len(sorted); {
		end := start + 1
		for end < len(sorted) && sorted[end].Repository == sorted[start].Repository {
			end++
		}
		out = append(out, selectRepository(sorted[start:end], rules, now, use)...)
		start = end
	}
	return out
}

// tagLess orders tags by repository, then name.
func tagLess(a, b storage.Tag) bool {
	if a.Repository != b.Repository {
		return a.Repository < b.Repository
	}
	return a.Name < b.Name
}

// selectRepository decides for the tags of one repository.
func selectRepository(tags []storage.Tag, rules []Rule, now time.Time, use Use) []Decision {
	ds := make([]Decision, len(tags))
	rule, ok := governing(tags[0].Repository, rules)
	var cands []int
	for i, t := range tags {
		ds[i] = Decision{Tag: t, Rule: rule.Name}
		if !ok {
			ds[i].Reason = "no rule governs the repository"
			continue
		}
		if ds[i].Reason = exempt(t, rule); ds[i].Reason == "" {
			cands = append(cands, i)
		}
	}
	sort.SliceStable(cands, func(a, b int) bool {
		ta, tb := tags[cands[a]], tags[cands[b]]
		if !ta.Pushed.Equal(tb.Pushed) {
			return ta.Pushed.After(tb.Pushed)
		}
		return ta.Name < tb.Name
	})
	ev := gatherUse(tags, cands, rule, now, use)
	for rank, i := range cands {
		ds[i].Remove, ds[i].Reason = judge(tags[i], rule, rank, now, ev[i])
	}
	return ds
}

// governing is the first rule that governs repo.
func governing(repo string, rules []Rule) (Rule, bool) {
	for _, r := range rules {
		if r.Governs(repo) {
			return r, true
		}
	}
	return Rule{}, false
}

// Governed is the repositories of repos that some rule governs, in order.
func Governed(repos []string, rules []Rule) []string {
	var out []string
	for _, r := range repos {
		if _, ok := governing(r, rules); ok {
			out = append(out, r)
		}
	}
	return out
}

// exempt says why t is not a candidate of rule, or "" when it is one.
func exempt(t storage.Tag, rule Rule) string {
	if _, ok := storage.ReferrerSubject(t.Name); ok {
		return "referrer tag: follows its subject"
	}
	if t.LinkErr != nil {
		return "current link unreadable: left for check"
	}
	if storage.ValidTag(t.Name) != nil {
		return "not a valid tag name: left alone"
	}
	if rule.Tags != nil && !rule.Tags.MatchString(t.Name) {
		return fmt.Sprintf("not matched by tags %q", rule.Tags)
	}
	for _, x := range rule.ExcludeTags {
		if x.MatchString(t.Name) {
			return fmt.Sprintf("excluded by %q", x)
		}
	}
	return ""
}

// judge decides for the candidate t, the rank-th newest (from 0), with
// the evidence of its use. A keep rule that keeps it names itself and its
// evidence; a removal names every rule's evidence against the tag.
func judge(t storage.Tag, rule Rule, rank int, now time.Time, ev useEvidence) (remove bool, reason string) {
	if reason, keep := keptInUse(rule, now, ev); keep {
		return false, reason
	}
	age := now.Sub(t.Pushed)
	if rank < rule.KeepLast {
		return false, newest(rule.KeepLast)
	}
	if rule.OlderThan > 0 && age <= rule.OlderThan {
		return false, fmt.Sprintf("%s, not older than %s", pushedAgo(age), FormatAge(rule.OlderThan))
	}
	if reason, keep := keptUnjudged(t, rule, now, ev); keep {
		return false, reason
	}
	var why []string
	if rule.OlderThan > 0 {
		why = append(why, fmt.Sprintf("%s, older than %s", pushedAgo(age), FormatAge(rule.OlderThan)))
	}
	if rule.KeepLast > 0 {
		why = append(why, "not "+newest(rule.KeepLast))
	}
	why = append(why, notInUse(rule, now, ev)...)
	if len(why) == 0 {
		why = append(why, "matched, no age or count limit")
	}
	return true, strings.Join(why, "; ")
}

// newest names the kept set: "the newest" or "among the 3 newest".
func newest(n int) string {
	if n == 1 {
		return "the newest"
	}
	return "among the " + strconv.Itoa(n) + " newest"
}

// pushedAgo says how long ago, for people: "pushed 3d ago", to the
// largest whole unit, or "pushed 2h in the future" on a skewed clock.
func pushedAgo(age time.Duration) string {
	if age < 0 {
		return "pushed " + roundAge(-age) + " in the future"
	}
	return "pushed " + roundAge(age) + " ago"
}

// roundAge truncates an age to days past two days, hours past one hour,
// then minutes, then seconds.
func roundAge(d time.Duration) string {
	steps := []struct{ from, unit time.Duration }{
		{48 * time.Hour, 24 * time.Hour}, {time.Hour, time.Hour}, {time.Minute, time.Minute},
	}
	for _, s := range steps {
		if d >= s.from {
			return FormatAge(d.Truncate(s.unit))
		}
	}
	return FormatAge(d.Truncate(time.Second))
}
